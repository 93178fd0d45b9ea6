"""A TCP server on 127.0.0.1 that hands out fixed bytes: what a learner's answer might ask for
the hidden tests. The grading tests check the sandbox leaves it unreachable (no network)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def serving(payload: bytes) -> Iterator[int]:
    """Serve ``payload`` to every connection on 127.0.0.1; yields the port. Stops on exit."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.5)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                conn.sendall(payload)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        server.close()
