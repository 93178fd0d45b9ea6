"""Start a worker, or a worker host (:mod:`qtlib.grading.host`), in the strongest sandbox here.

Layers, strongest first (docs/GRADING.md says what each one defends):

1. ``bwrap`` (Debian package ``bubblewrap``): new user, pid, network, ipc and uts namespaces
   (no network at all, the learner's processes die with the worker), a file system that shows
   only the system folders, the Python installation, the virtual environment and the ``qtlib``
   package read-only, plus one empty writable scratch folder (cwd) and an empty ``/tmp``. The
   repository (``solutions/``, ``build/nbgrader`` with the gradebook and the other submissions)
   is simply not there.
2. Without bwrap: ``unshare`` when it works: no network, and a pid namespace (the learner's
   processes cannot signal the judge and die with the worker); files stay readable.
3. Always: resource limits (address space, CPU seconds, file size, open files, no core dumps), a
   new session (the judge kills the whole process group), an emptied environment, an empty
   scratch folder as cwd, and wall-clock deadlines kept by the judge.

``QTLIB_SANDBOX=bwrap|unshare|rlimits`` forces a layer (tests use it; ``bwrap`` fails loudly if
bubblewrap does not work here).
"""

from __future__ import annotations

import dataclasses
import functools
import os
import resource
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

#: CPU seconds a worker host gets on top of a worker's (its imports, forks and reaping).
HOST_EXTRA_CPU_SECONDS = 120
#: qtlib/ (the package folder); the worker imports qtlib.grading.worker from it.
PACKAGE_DIR = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Limits:
    """Resource limits of one worker process (bytes and seconds).

    ``memory`` caps the address space (RLIMIT_AS): importing torch needs about 1.5 GB of it, so
    the default 4 GB lets honest answers run and makes a 20 GB allocation fail in the worker.
    """

    memory: int = 4 * 2**30
    cpu_seconds: int = 120
    file_size: int = 64 * 2**20
    open_files: int = 256

    def __post_init__(self) -> None:
        for name in ("memory", "cpu_seconds", "file_size", "open_files"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"Limits.{name} must be a positive int, got {value!r}")


def _apply_limits(limits: Limits) -> None:
    """preexec_fn of the worker (runs in the child between fork and exec)."""
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory, limits.memory))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_size, limits.file_size))
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


@functools.cache
def _works(*argv: str) -> bool:
    try:
        return subprocess.run([*argv, "true"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def sandbox_mode() -> str:
    """``"bwrap"``, ``"unshare"`` or ``"rlimits"``: the layer :func:`worker_command` will use."""
    forced = os.environ.get("QTLIB_SANDBOX", "")
    if forced:
        if forced not in ("bwrap", "unshare", "rlimits"):
            raise ValueError(f"QTLIB_SANDBOX must be bwrap, unshare or rlimits, got {forced!r}")
        if forced == "bwrap" and not _bwrap_works():
            raise RuntimeError("QTLIB_SANDBOX=bwrap but bubblewrap does not run here; install "
                               "it (apt-get install bubblewrap) or unset QTLIB_SANDBOX")
        return forced
    if _bwrap_works():
        return "bwrap"
    if shutil.which("unshare") and _works(*_unshare_argv()):
        return "unshare"
    return "rlimits"


def _bwrap_works() -> bool:
    return bool(shutil.which("bwrap")) and _works(
        "bwrap", "--ro-bind", "/", "/", "--unshare-all", "--die-with-parent", "--")


def describe_mode(mode: str) -> str:
    """One sentence for the instructor about what the sandbox ``mode`` defends."""
    return {
        "bwrap": "bubblewrap: no network, no view of the repository or other submissions, "
                 "resource limits",
        "unshare": "WARNING: bubblewrap not found (apt-get install bubblewrap): learner code has "
                   "no network and resource limits, but can read files the grader's user can "
                   "read; scores are still decided by the judge",
        "rlimits": "WARNING: neither bubblewrap nor unshare works here: learner code runs with "
                   "resource limits only (it has the network and can read files the grader's "
                   "user can read); scores are still decided by the judge",
    }[mode]


def _unshare_argv() -> list[str]:
    """No network, and a pid namespace: the worker's parent is unshare, not the judge."""
    argv = ["unshare", "--net", "--pid", "--fork", "--kill-child", "--mount-proc"]
    return argv + (["--map-root-user"] if os.geteuid() != 0 else []) + ["--"]


def _bwrap_argv(scratch: Path) -> list[str]:
    argv = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
            "--uid", "65534", "--gid", "65534", "--hostname", "sandbox",
            "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    for system in ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/etc"):
        if os.path.lexists(system):
            argv += ["--ro-bind", system, system] if not os.path.islink(system) else [
                "--symlink", os.readlink(system), system]
    python_dirs = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(),
                   Path(sys.executable).resolve().parent.parent, PACKAGE_DIR}
    for folder in sorted(python_dirs, key=lambda p: len(p.parts)):
        argv += ["--ro-bind", str(folder), str(folder)]
    argv += ["--bind", str(scratch), str(scratch), "--chdir", str(scratch)]
    return argv


def worker_command(scratch: Path, fds: tuple[int, int], mode: str | None = None) -> list[str]:
    """The argv that starts a worker reading from ``fds[0]`` and writing to ``fds[1]``."""
    return _sandboxed(scratch, "worker", [fds[0], fds[1]], mode)


def host_command(scratch: Path, control_fd: int, cpu_seconds: int,
                 mode: str | None = None) -> list[str]:
    """The argv that starts a worker host (:mod:`qtlib.grading.host`) on ``control_fd`` whose
    children get ``cpu_seconds`` of CPU time each."""
    return _sandboxed(scratch, "host", [control_fd, cpu_seconds], mode)


def hosts_supported(mode: str) -> bool:
    """Only a pid namespace lets a host see what a child left behind (``rlimits`` has none)."""
    return mode in ("bwrap", "unshare")


def _sandboxed(scratch: Path, module: str, fds: list[int], mode: str | None) -> list[str]:
    mode = mode or sandbox_mode()
    call = ", ".join(f"int(sys.argv[{i}])" for i in range(2, 2 + len(fds)))
    python = [sys.executable, "-I", "-c",
              "import sys; sys.path.insert(0, sys.argv[1]); "
              f"from qtlib.grading.{module} import main; main({call})",
              str(PACKAGE_DIR.parent), *map(str, fds)]
    if mode == "bwrap":
        return [*_bwrap_argv(scratch), "--", *python]
    if mode == "unshare":
        return [*_unshare_argv(), *python]
    return python


def worker_env(scratch: Path) -> dict[str, str]:
    """The worker's whole environment: nothing of the grader's (no tokens, no paths)."""
    return {"PATH": "/usr/bin:/bin", "HOME": str(scratch), "TMPDIR": str(scratch),
            "LANG": "C.UTF-8", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg"}


def start_worker(scratch: Path, fds: tuple[int, int], limits: Limits,
                 mode: str | None = None) -> subprocess.Popen:
    """Start a sandboxed worker in its own session; the caller owns ``fds`` and the process."""
    return _start(worker_command(scratch, fds, mode), scratch, fds, limits)


def start_host(scratch: Path, control_fd: int, limits: Limits,
               mode: str | None = None) -> subprocess.Popen:
    """Start a sandboxed worker host in its own session: same sandbox, limits and environment
    as a worker, except ``HOST_EXTRA_CPU_SECONDS`` more CPU time for its imports and service
    (each child it forks starts at 0 s and gets ``limits.cpu_seconds``)."""
    host_limits = dataclasses.replace(
        limits, cpu_seconds=limits.cpu_seconds + HOST_EXTRA_CPU_SECONDS)
    return _start(host_command(scratch, control_fd, limits.cpu_seconds, mode), scratch,
                  (control_fd,), host_limits)


def _start(argv: list[str], scratch: Path, fds: tuple[int, ...],
           limits: Limits) -> subprocess.Popen:
    scratch.mkdir(parents=True, exist_ok=True)
    os.chmod(scratch, 0o777)  # the worker may run as another user (nobody)
    return subprocess.Popen(argv, cwd=scratch,
                            env=worker_env(scratch), pass_fds=fds, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True,
                            preexec_fn=functools.partial(_apply_limits, limits))


def kill_worker(proc: subprocess.Popen) -> None:
    """Kill the worker's whole process group (it runs in its own session) and reap it."""
    try:
        os.killpg(proc.pid, 9)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
