"""The worker's sandbox, claim by claim: each test runs a learner answer that tries one thing.

Answers run through the real judge (:func:`qtlib.grading.judge.judge_exercise`) on a one-cell
exercise, in the sandbox this machine offers (bubblewrap in CI: ``.ci/run`` installs it). The
claims about hidden files and signals outside the worker hold only with bubblewrap; on a machine
without it those tests are skipped with that reason (docs/GRADING.md, "fallback").
"""

from __future__ import annotations

import os
import sys
import time
import types
from pathlib import Path

import pytest
from loopback import serving

from qtlib.grading.exercises import Exercise, TestCell
from qtlib.grading.hosts import WorkerHosts
from qtlib.grading.judge import judge_exercise, judge_notebook
from qtlib.grading.pipeline import REPO_ROOT
from qtlib.grading.sandbox import PACKAGE_DIR, Limits, hosts_supported, sandbox_mode

MODE = sandbox_mode()
# A learner's or instructor's machine without bubblewrap skips these with the reason; CI must have
# it (.ci/run installs it), so there the tests run and fail rather than skip.
needs_bwrap = pytest.mark.skipif(MODE != "bwrap" and not os.environ.get("CI"),
                                 reason=f"needs bubblewrap; this machine's sandbox is {MODE!r}")
# Worker hosts need a pid namespace (bwrap or unshare); with rlimits only, one process per exercise.
needs_hosts = pytest.mark.skipif(not hosts_supported(MODE),
                                 reason=f"no worker host in sandbox mode {MODE!r}")


def test_ci_grades_in_bubblewrap():
    if not os.environ.get("CI"):
        pytest.skip("only CI must have bubblewrap (.ci/run installs it)")
    assert MODE == "bwrap", f"CI must grade in bubblewrap, this machine's sandbox is {MODE!r}"
SECONDS = 40  # per exercise: worker start (~2-5 s on a loaded machine) plus the attempt


def _exercise(answer_names: tuple[str, ...], test_source: str) -> Exercise:
    return Exercise("probe_ex", "probe_ex_answer", None, "", answer_names,
                    (TestCell("probe_ex_test", test_source, 1.0),))


def _judge(answer: str, test_source: str, names: tuple[str, ...] = ("attempt",),
           seconds: int = SECONDS, memory: int = Limits().memory,
           hosts: WorkerHosts | None = None, wall_seconds: int | None = None) -> dict:
    """Judge one exercise, in a worker forked by ``hosts`` (or by a host of its own where the
    sandbox mode has hosts)."""
    limits = Limits(cpu_seconds=seconds, memory=memory)
    own = hosts is None and hosts_supported(MODE)
    hosts = WorkerHosts(limits, MODE) if own else hosts
    try:
        result = judge_exercise(_exercise(names, test_source), answer, limits,
                                time.monotonic() + (wall_seconds or seconds), MODE, hosts)
    finally:
        if own:
            hosts.close()
    return result["probe_ex_test"]


@pytest.fixture
def sink():
    """A module the judge-side test cell writes what the learner's function returned into."""
    module = types.ModuleType("grading_sink")
    sys.modules["grading_sink"] = module
    yield module
    del sys.modules["grading_sink"]


@pytest.fixture
def local_server():
    """A TCP server on 127.0.0.1 of the grading machine that hands out a secret."""
    with serving(b"the hidden tests") as port:
        yield port


ATTEMPTS = '''
import glob
import os
import socket


def attempt():
    def read(path):
        try:
            with open(path, "rb") as fh:
                return "read " + str(len(fh.read(100)))
        except OSError:
            return "blocked"

    def connect(host, port):
        try:
            with socket.create_connection((host, port), timeout=3) as s:
                return "connected " + s.recv(100).decode()
        except OSError:
            return "blocked"

    def write(path):
        try:
            with open(path, "w") as fh:
                fh.write("tampered")
            return "written"
        except OSError:
            return "blocked"

    return {
        "solutions": read(@@SOLUTION@@),
        "gradebook": read(@@GRADEBOOK@@),
        "repository": sorted(glob.glob(@@REPO@@ + "/*")),
        "local server": connect("127.0.0.1", @@PORT@@),
        "internet": connect("1.1.1.1", 80),
        "write the package": write(@@PACKAGE@@ + "/grading/tampered.py"),
        "write the scratch folder": write("scratch.txt"),
        "environment": sorted(k for k in os.environ if "TOKEN" in k or "KEY" in k),
    }
'''


@needs_bwrap
def test_learner_code_sees_no_course_files_no_network_and_writes_only_scratch(
        sink, local_server, tmp_path):
    gradebook = tmp_path / "gradebook.db"
    gradebook.write_text("grades")
    solution = REPO_ROOT / "solutions" / "ch00_getting_started" / "ch00_getting_started.ipynb"
    answer = (ATTEMPTS.replace("@@SOLUTION@@", repr(str(solution)))
              .replace("@@GRADEBOOK@@", repr(str(gradebook)))
              .replace("@@REPO@@", repr(str(REPO_ROOT)))
              .replace("@@PACKAGE@@", repr(str(PACKAGE_DIR)))
              .replace("@@PORT@@", str(local_server)))
    os.environ["QTLIB_FAKE_TOKEN"] = "secret"
    try:
        row = _judge(answer, "import grading_sink\ngrading_sink.got = attempt()\n")
    finally:
        del os.environ["QTLIB_FAKE_TOKEN"]
    assert row["score"] == 1.0, row["message"]
    assert sink.got == {
        "solutions": "blocked",
        "gradebook": "blocked",
        "repository": [str(PACKAGE_DIR)],  # only the qtlib package (read-only) is there
        "local server": "blocked",
        "internet": "blocked",
        "write the package": "blocked",
        "write the scratch folder": "written",
        "environment": [],
    }
    assert not (PACKAGE_DIR / "grading" / "tampered.py").exists()


def _worker_processes() -> list[int]:
    marker = str(PACKAGE_DIR.parent).encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if (b"qtlib.grading.worker" in cmdline or b"qtlib.grading.host" in cmdline) \
                    and marker in cmdline:
                pids.append(int(entry.name))
    return pids


ENDINGS = {
    "os._exit": ("import os\ndef attempt():\n    os._exit(0)\n", "ended its own process"),
    "sys.exit": ("import sys\ndef attempt():\n    sys.exit(3)\n", "SystemExit"),
    "SIGKILL itself": ("import os\ndef attempt():\n    os.kill(os.getpid(), 9)\n",
                       "stopped by signal 9"),
    "kills its parent and everyone": (
        "import os\ndef attempt():\n    os.kill(os.getppid(), 9)\n"
        "    if os.getpid() < 100:  # only inside a pid namespace, never on the host\n"
        "        os.kill(-1, 9)\n    return 2\n", None),
    "stops its host": (
        "import os\ndef attempt():\n"
        "    if os.getpid() < 100:  # only inside a pid namespace, never on the host\n"
        "        os.kill(os.getppid(), 19)  # SIGSTOP: the host cannot answer any more\n"
        "    return 2\n", None),
    "kills everyone": (
        "import os\ndef attempt():\n"
        "    if os.getpid() < 100:  # only inside a pid namespace, never on the host\n"
        "        os.kill(-1, 9)\n    return 2\n", None),
    "infinite loop": ("def attempt():\n    while True:\n        pass\n", "took longer than"),
    "20 GB": ("def attempt():\n    return len(bytearray(20 * 2**30))\n", "ran out of memory"),
    "20 GB tensor": ("def attempt():\n    return torch.empty(5 * 2**30).numel()\n",
                     "ran out of memory"),
    "huge file": ("def attempt():\n    with open('big', 'wb') as fh:\n"
                  "        for _ in range(4096):\n            fh.write(bytes(2**20))\n",
                  "File too large"),
    "many processes": ("import os, time\ndef attempt():\n    for _ in range(40):\n"
                       "        if os.fork() == 0:\n            time.sleep(1000)\n"
                       "    while True:\n        pass\n", "took longer than"),
}


HONEST = ("def attempt():\n    return 1\n",
          "from qtlib.grading import check_equal\ncheck_equal(attempt(), 1, name='attempt')\n")
#: Endings that kill the host: the judge needs a fresh host for the next exercise.
KILL_THE_HOST = ("kills its parent and everyone", "kills everyone", "stops its host")


@pytest.mark.parametrize("what", list(ENDINGS))
def test_an_answer_that_ends_or_exhausts_its_process_scores_zero_and_the_judge_lives(what):
    if what in KILL_THE_HOST and MODE == "rlimits":
        pytest.skip("without a pid namespace this answer could signal the grader's processes")
    answer, reason = ENDINGS[what]
    seconds = 15 if what in ("infinite loop", "many processes") else SECONDS
    start = time.monotonic()
    with WorkerHosts(Limits(cpu_seconds=seconds), MODE) as hosts:
        use = hosts if hosts_supported(MODE) else None
        row = _judge(answer, HONEST[1], seconds=seconds, hosts=use)
        took = time.monotonic() - start
        # the next exercise of the same notebook is not affected, and reuses the host if alive
        after = _judge(*HONEST, hosts=use)
    assert row["score"] == 0.0
    if reason:
        assert reason in row["message"], row["message"]
    assert took < seconds + 15
    assert after["score"] == 1.0, after["message"]
    if use is not None:
        # under unshare the host is the pid namespace's init, which its children cannot kill
        assert hosts.started == (2 if what in KILL_THE_HOST and MODE == "bwrap" else 1)
    deadline = time.monotonic() + 10  # the kernel reaps a dead pid namespace asynchronously
    while _worker_processes() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _worker_processes() == [], "processes of the learner outlived the exercise"


def test_an_answer_too_big_for_the_wire_is_told_why_and_the_judge_lives():
    # about 80 MB once encoded (base64 of 60 MB): more than the wire's cap
    answer = "import torch\ndef attempt():\n    return torch.zeros(15 * 2**20)\n"
    row = _judge(answer, "from qtlib.grading import check_equal\n"
                         "check_equal(attempt().numel(), 1, name='attempt')\n")
    assert row["score"] == 0.0
    assert "cannot receive this value" in row["message"] and "MB" in row["message"], row["message"]


DAEMON = """
import os, time
def attempt():
    if os.getpid() > 100:  # only inside a pid namespace, never on the host
        return 1
    host, worker = os.getppid(), os.getpid()
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:  # a daemon: not in the exercise's process group
            while True:  # kills every process but init, the host, this worker and itself
                for entry in os.listdir("/proc"):
                    if entry.isdigit() and int(entry) not in (1, host, worker, os.getpid()):
                        try:
                            os.kill(int(entry), 9)
                        except OSError:
                            pass
                time.sleep(0.01)
        os._exit(0)
    os.wait()
    time.sleep(0.5)
    return 1
"""


@needs_hosts
def test_a_daemon_left_behind_does_not_change_the_next_exercise():
    with WorkerHosts(Limits(cpu_seconds=SECONDS), MODE) as hosts:
        first = _judge(DAEMON, HONEST[1], hosts=hosts)
        # an honest answer that takes 1 s: long enough for the daemon to find it
        after = _judge("import time\ndef attempt():\n    time.sleep(1)\n    return 1\n",
                       HONEST[1], hosts=hosts)
        started = hosts.started
    assert first["score"] == 1.0, first["message"]  # it returned the right value
    assert after["score"] == 1.0, after["message"]
    assert started == 2, "the host with a process left behind must be replaced"
    deadline = time.monotonic() + 10
    while _worker_processes() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _worker_processes() == []


INSIDE = """
import os, threading
def attempt():
    fds = {}
    for fd in os.listdir("/proc/self/fd"):
        try:
            fds[fd] = os.readlink("/proc/self/fd/" + fd)
        except OSError:  # the listing's own, closed by now
            pass
    try:
        with open("/proc/%d/mem" % os.getppid(), "rb") as fh:
            host = "read " + str(len(fh.read(1)))
    except OSError:
        host = "blocked"
    total = float(torch.ones(4, 4).matmul(torch.ones(4)).sum())
    return {"host memory": host, "threads": torch.get_num_threads(), "sum": total,
            "python threads": threading.active_count(),
            "sockets": sum(t.startswith("socket:") for t in fds.values()),
            "pipes": sum(t.startswith("pipe:") for t in fds.values()),
            "fds": len(fds), "cwd": sorted(os.listdir(".")), "session": os.getsid(0) == os.getpid(),
            "home": os.environ["HOME"] == os.getcwd()}
"""


@needs_hosts
def test_a_forked_worker_has_its_own_channel_folder_session_and_one_thread(sink):
    with WorkerHosts(Limits(cpu_seconds=SECONDS), MODE) as hosts:
        rows = [_judge("open('mine.txt', 'w').write('x')\n" + INSIDE,
                       "import grading_sink\ngrading_sink.got = attempt()\n", hosts=hosts)
                for _ in range(2)]
        assert hosts.started == 1
    assert [r["score"] for r in rows] == [1.0, 1.0], rows
    # the host is not dumpable: its children cannot read or ptrace it (under unshare they are
    # root with every capability: no such claim there)
    host = sink.got.pop("host memory")
    assert host == "blocked" or MODE != "bwrap", host
    assert sink.got == {"threads": 1, "sum": 16.0, "python threads": 1, "sockets": 1, "pipes": 0,
                        "fds": 4,  # stdin, stdout, stderr (/dev/null) and its channel
                        "cwd": ["mine.txt"],  # not the previous exercise's file
                        "session": True, "home": True}


@needs_hosts
def test_a_forked_worker_keeps_the_cpu_limit():
    # CPU limit 3 s, wall-clock deadline 60 s: the kernel's limit stops the loop first
    row = _judge("def attempt():\n    while True:\n        pass\n", HONEST[1], seconds=3,
                 wall_seconds=60)
    assert row["score"] == 0.0
    assert "more than 3 s of CPU time" in row["message"], row["message"]


@needs_hosts
def test_an_honest_notebook_is_judged_by_one_host():
    notebook = REPO_ROOT / "solutions" / "ch02_quantization_fundamentals" / \
        "ch02_quantization_fundamentals.ipynb"
    verdict = judge_notebook(notebook, notebook, limits=Limits(cpu_seconds=SECONDS))
    assert verdict["hosts"] == 1
    assert len(verdict["cells"]) > 3
    assert all(c["score"] == c["max_score"] for c in verdict["cells"].values()), verdict
