"""The worker host: one sandboxed process per judged notebook that forks a worker per exercise.

Started by :mod:`qtlib.grading.hosts` (the judge's side) through :mod:`qtlib.grading.sandbox`,
in the same sandbox, limits and emptied environment as a lone worker. It imports the prelude's
modules once (about 2-3 s of CPU saved per exercise), runs NO learner code itself, and serves
the judge over a ``SOCK_SEQPACKET`` control socket, one JSON request per packet::

    {"n": int, "op": "spawn"} + one fd (the exercise's channel) -> {"n", "pid"}
    {"n": int, "op": "wait", "pid": int, "grace": float} -> {"n", "code": int | None}
    {"n": int, "op": "end", "pid": int, "grace": float}  -> {"n", "code", "killed", "others"}

A child is today's worker (:func:`qtlib.grading.worker.main` on its own channel): it calls
``setsid()``, works in its own fresh sub-folder of the scratch folder, keeps only its channel
among the file descriptors, and inherits the per-process limits (its CPU time starts at 0).
``end`` waits up to ``grace`` seconds for the child, then kills its process group, reaps it,
and counts the processes other than the host and the sandbox's init still alive in the pid
namespace (``others``): the judge throws away a host that reports any, or does not answer.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import json
import os
import resource
import socket
import tempfile
import time
from typing import Any

#: Imported once by the host; the prelude of every answer then finds them in sys.modules.
PRELUDE_MODULES = ("math", "numpy", "pandas", "torch", "torch.nn")
#: Largest control packet either side reads (bytes).
MAX_CONTROL = 4096
_PR_SET_DUMPABLE = 4


def _set_dumpable(flag: bool) -> None:
    """A non-dumpable host cannot be ptraced or have its memory read by its children."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_DUMPABLE, int(flag), 0, 0, 0)


def _status(pid: int, grace: float) -> int | None:
    """The child's exit code (``-N`` for signal N, as ``Popen.returncode``), or None if it still
    runs after ``grace`` seconds."""
    stop = time.monotonic() + max(0.0, grace)
    while True:
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return -9  # not ours (or already reaped): nothing left to report
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() >= stop:
            return None
        time.sleep(0.01)


def _reap_orphans() -> None:
    """Reap every exited child (the host is pid 1 under ``unshare``: orphans come to it)."""
    while True:
        try:
            done, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if not done:
            return


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().rsplit(b")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in (b"Z", b"X")


def leftovers(wait_seconds: float = 1.0) -> list[int]:
    """Pids alive in this pid namespace other than the host and the sandbox's init, after
    giving killed processes ``wait_seconds`` to vanish."""
    mine = {1, os.getpid(), os.getppid()}
    stop = time.monotonic() + wait_seconds
    while True:
        _reap_orphans()
        others = [int(e) for e in os.listdir("/proc") if e.isdigit() and int(e) not in mine]
        others = [pid for pid in others if _alive(pid)]
        if not others or time.monotonic() >= stop:
            return others
        time.sleep(0.02)


def _become_worker(control: socket.socket, channel: int, folder: str, cpu_seconds: int) -> None:
    """In the forked child: a new session, its own folder, only its channel, the worker's CPU
    limit (seconds); then serve."""
    os.setsid()
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    control.detach()
    top = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    os.closerange(3, channel)
    os.closerange(channel + 1, top if top != resource.RLIM_INFINITY else 65536)
    _set_dumpable(True)  # the child's own /proc entries stay its own
    os.chdir(folder)
    os.environ.update(HOME=folder, TMPDIR=folder)
    tempfile.tempdir = None
    from qtlib.grading.worker import main as serve

    serve(channel, channel)


def _spawn(control: socket.socket, channel: int, root: str, cpu_seconds: int) -> int:
    folder = tempfile.mkdtemp(prefix="exercise-", dir=root)
    pid = os.fork()
    if pid == 0:  # the child never returns into the host's loop
        try:
            _become_worker(control, channel, folder, cpu_seconds)
        finally:
            os._exit(0)
    os.close(channel)
    return pid


def _end(pid: int, grace: float) -> dict[str, Any]:
    code = _status(pid, grace)
    killed = code is None
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, 9)  # the child's whole group, exited or not
    if code is None:
        code = _status(pid, 5.0)
    return {"code": -9 if code is None else code, "killed": killed, "others": len(leftovers())}


def _serve(request: dict, fds: list[int], control: socket.socket, root: str,
           cpu_seconds: int) -> dict[str, Any]:
    op = request.get("op")
    if op == "spawn" and len(fds) == 1:
        return {"pid": _spawn(control, fds[0], root, cpu_seconds)}
    for fd in fds:
        os.close(fd)
    pid, grace = int(request.get("pid", 0)), float(request.get("grace", 0.0))
    if pid <= 1:
        raise ValueError("no such child")
    if op == "wait":
        return {"code": _status(pid, grace)}
    if op == "end":
        return _end(pid, grace)
    raise ValueError(f"unknown op {op!r}")


def main(control_fd: int, cpu_seconds: int) -> None:
    """Import the prelude's modules, then serve the judge until it closes the control socket;
    each child gets ``cpu_seconds`` of CPU time."""
    _set_dumpable(False)
    for name in PRELUDE_MODULES:
        importlib.import_module(name)
    importlib.import_module("qtlib.grading.worker")
    control = socket.socket(fileno=control_fd)
    root = os.getcwd()
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(control, MAX_CONTROL, 1)
        except OSError:
            return
        if not data:
            return
        reply: dict[str, Any] = {}
        try:
            request = json.loads(data)
            reply = {"n": request.get("n"), **_serve(request, fds, control, root, cpu_seconds)}
        except Exception as err:  # noqa: BLE001 -- the judge reads a broken request as a lost host
            reply = {"n": None, "error": f"{type(err).__name__}: {err}"[:300]}
        control.send(json.dumps(reply).encode())
