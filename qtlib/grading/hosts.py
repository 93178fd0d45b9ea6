"""The judge's side of the worker host (:mod:`qtlib.grading.host`): one sandbox per notebook.

:class:`WorkerHosts` keeps at most one live host and starts a fresh one when none is usable;
:meth:`WorkerHosts.spawn` returns a :class:`HostedWorker`, the exercise's forked worker, with the
judge's end of its own channel (a ``socketpair``; the other end goes to the host with
``send_fds``). Everything the host says is untrusted (learner code ran next to it): replies are
small JSON packets, checked for the request number and types, and a host that answers late,
wrongly or not at all, or reports a process left behind by a child, is killed with its whole
sandbox; the next exercise gets a fresh host. So tampering costs only its own exercise (and one
host start).
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import tempfile
import time
import weakref
from pathlib import Path

from qtlib.grading.host import MAX_CONTROL
from qtlib.grading.sandbox import Limits, kill_worker, start_host

#: Seconds a running host gets to answer a control request (on top of the request's grace).
CONTROL_SECONDS = 5.0


class HostLost(Exception):
    """The host is dead, late or broke its protocol; ``str(err)`` says which (for logs)."""


class _Host:
    """One sandboxed host process and the judge's end of its control socket."""

    def __init__(self, limits: Limits, mode: str) -> None:
        self.scratch = Path(tempfile.mkdtemp(prefix="qtlib-host-"))
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.proc = start_host(self.scratch, theirs.fileno(), limits, mode)
        finally:
            theirs.close()
        self.control, self.count, self.answered = mine, 0, False
        self._finalizer = weakref.finalize(self, _destroy, self.proc, mine, self.scratch)

    def ask(self, request: dict, deadline: float, fd: int | None = None) -> dict:
        """Send ``request`` (with ``fd`` attached), return the host's checked reply."""
        self.count += 1
        request = {**request, "n": self.count}
        try:
            data = json.dumps(request).encode()
            if fd is None:
                self.control.send(data)
            else:
                socket.send_fds(self.control, [data], [fd])
            self.control.settimeout(max(0.001, deadline - time.monotonic()))
            raw = self.control.recv(MAX_CONTROL)
            reply = json.loads(raw) if raw else None
        except TimeoutError:
            raise HostLost("no answer in time") from None
        except (OSError, ValueError, RecursionError) as err:
            raise HostLost(f"{type(err).__name__}") from None
        if not isinstance(reply, dict) or reply.get("n") != self.count:
            raise HostLost("a reply that does not answer the request")
        self.answered = True
        return reply

    def destroy(self) -> None:
        self._finalizer()


def _destroy(proc: subprocess.Popen, control: socket.socket, scratch: Path) -> None:
    control.close()
    kill_worker(proc)
    shutil.rmtree(scratch, ignore_errors=True)


def _int(reply: dict, key: str, optional: bool = False) -> int | None:
    value = reply.get(key)
    if value is None and optional:
        return None
    if type(value) is not int:
        raise HostLost(f"a reply without an int {key!r}")
    return value


class WorkerHosts:
    """The judge's host for one notebook: started lazily, replaced when lost or tampered with.

    ``started`` counts the hosts started (1 for an honest notebook).
    """

    def __init__(self, limits: Limits, mode: str) -> None:
        self.limits, self.mode = limits, mode
        self.started = 0
        self._host: _Host | None = None

    def spawn(self, deadline: float) -> HostedWorker:
        """A fresh worker for one exercise; ``deadline`` (``time.monotonic()``) bounds the wait
        (a new host imports torch first). Raises :class:`HostLost` if none could be started."""
        while True:
            fresh = self._host is None
            if fresh:
                self._host = _Host(self.limits, self.mode)
                self.started += 1
            host = self._host
            mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                wait = deadline if not host.answered else min(
                    deadline, time.monotonic() + CONTROL_SECONDS)
                pid = _int(host.ask({"op": "spawn"}, wait, theirs.fileno()), "pid")
                if pid <= 1:
                    raise HostLost("a child pid that cannot be")
                return HostedWorker(self, host, pid, mine.detach())
            except HostLost:
                mine.close()
                self.discard(host)
                if fresh or time.monotonic() >= deadline:
                    raise
            finally:
                theirs.close()

    def discard(self, host: _Host) -> None:
        """Kill ``host`` with its sandbox; the next :meth:`spawn` starts a fresh one."""
        host.destroy()
        if self._host is host:
            self._host = None

    def close(self) -> None:
        if self._host is not None:
            self.discard(self._host)

    def __enter__(self) -> WorkerHosts:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class HostedWorker:
    """One exercise's worker, a child of the host; the judge talks to it over ``fd``.

    ``poll``/``wait`` mirror :class:`subprocess.Popen` (exit code, ``-N`` for signal N);
    :meth:`end` kills the child's process group through the host and checks for leftovers.
    """

    def __init__(self, hosts: WorkerHosts, host: _Host, pid: int, fd: int) -> None:
        self.hosts, self.host, self.pid, self.fd = hosts, host, pid, fd
        self.code: int | None = None
        self.ended = False

    def _ask(self, op: str, grace: float) -> dict:
        try:
            return self.host.ask({"op": op, "pid": self.pid, "grace": grace},
                                 time.monotonic() + grace + CONTROL_SECONDS)
        except HostLost:
            self.hosts.discard(self.host)  # the sandbox is killed: so is this child
            raise

    def _status(self, grace: float) -> int | None:
        if self.code is None and not self.ended:
            try:
                self.code = _int(self._ask("wait", grace), "code", optional=True)
            except HostLost:
                self.code, self.ended = -9, True
        return self.code

    def poll(self) -> int | None:
        return self._status(0.0)

    def wait(self, timeout: float) -> int:
        code = self._status(timeout)
        if code is None:
            raise subprocess.TimeoutExpired("worker", timeout)
        return code

    def end(self) -> None:
        """Kill the child's process group and reap it; throw the host away if the child left any
        process behind or the host does not answer. The caller closes :attr:`fd`."""
        if self.ended:
            return
        self.ended = True
        try:
            reply = self._ask("end", 0.0)
            code, others = _int(reply, "code"), _int(reply, "others")
        except HostLost:  # the sandbox is killed: so is this child
            self.hosts.discard(self.host)
            self.code = -9 if self.code is None else self.code
            return
        if self.code is None:
            self.code = code
        if others:
            self.hosts.discard(self.host)
