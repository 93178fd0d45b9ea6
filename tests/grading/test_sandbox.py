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
from qtlib.grading.judge import judge_exercise
from qtlib.grading.pipeline import REPO_ROOT
from qtlib.grading.sandbox import PACKAGE_DIR, Limits, sandbox_mode

MODE = sandbox_mode()
# A learner's or instructor's machine without bubblewrap skips these with the reason; CI must have
# it (.ci/run installs it), so there the tests run and fail rather than skip.
needs_bwrap = pytest.mark.skipif(MODE != "bwrap" and not os.environ.get("CI"),
                                 reason=f"needs bubblewrap; this machine's sandbox is {MODE!r}")


def test_ci_grades_in_bubblewrap():
    if not os.environ.get("CI"):
        pytest.skip("only CI must have bubblewrap (.ci/run installs it)")
    assert MODE == "bwrap", f"CI must grade in bubblewrap, this machine's sandbox is {MODE!r}"
SECONDS = 40  # per exercise: worker start (~2-5 s on a loaded machine) plus the attempt


def _exercise(answer_names: tuple[str, ...], test_source: str) -> Exercise:
    return Exercise("probe_ex", "probe_ex_answer", None, "", answer_names,
                    (TestCell("probe_ex_test", test_source, 1.0),))


def _judge(answer: str, test_source: str, names: tuple[str, ...] = ("attempt",),
           seconds: int = SECONDS, memory: int = Limits().memory) -> dict:
    limits = Limits(cpu_seconds=seconds, memory=memory)
    result = judge_exercise(_exercise(names, test_source), answer, limits,
                            time.monotonic() + seconds, MODE)
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
            if b"qtlib.grading.worker" in cmdline and marker in cmdline:
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


@pytest.mark.parametrize("what", list(ENDINGS))
def test_an_answer_that_ends_or_exhausts_its_process_scores_zero_and_the_judge_lives(what):
    if what == "kills its parent and everyone" and MODE == "rlimits":
        pytest.skip("without a pid namespace this answer could signal the grader's processes")
    answer, reason = ENDINGS[what]
    seconds = 15 if what in ("infinite loop", "many processes") else SECONDS
    start = time.monotonic()
    row = _judge(answer, "from qtlib.grading import check_equal\n"
                         "check_equal(attempt(), 1, name='attempt')\n", seconds=seconds)
    assert row["score"] == 0.0
    if reason:
        assert reason in row["message"], row["message"]
    assert time.monotonic() - start < seconds + 15
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
