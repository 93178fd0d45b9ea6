"""A fresh copy of the learner edition works with its README's two commands, and Validate works.

What runs where (CI time on 2 cores):

- ONE fresh copy per run: the edition is exported and `git clone`d into a temporary folder, and
  its `make setup` creates a new virtual environment there with a real `pip install -e .[dev]`
  (no --system-site-packages, no --no-deps). pip resolves from the configured indexes and reuses
  the local wheel cache, so the cost is resolving and unpacking (torch is most of it), not
  downloading; then the int8 kernel compiles (~25 s). The fixture prints how long it took.
- `make lab` in the copy serves JupyterLab over HTTP (port and token from JUPYTER_PORT and
  JUPYTER_TOKEN, which jupyter_server reads).
- The learner's checks in the copy: `make lint`, then pytest on the environment, layer, lab,
  checks and notebook tests, with QTLIB_NOTEBOOKS=ch00_getting_started (the cheapest chapter).
  The qtlib unit tests the edition ships are byte-identical copies of this repository's (checked
  here) and run in this repository's own `make test` against the same qtlib sources; in the copy
  they are collected (every test module imports in the learner's environment) but not re-run.
  Set QTLIB_EDITION_FULL=1 to run the copy's whole `make test` instead (a release-day check).
- Validate: every chapter's release notebook is validated in the copy's environment with the
  config nbgrader's Validate button loads (its handler's own load_config, run in the copy's
  root), plus validate_all so that every cell's error is listed. That executes every cell of
  every chapter once, which is also the notebook test for the chapters other than ch00.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest

from qtlib.grading.edition import export
from qtlib.grading.pipeline import REPO_ROOT, chapter_slugs

# the first test that asks for the copy also pays for its `make setup` (minutes when loaded)
pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]
CHAPTERS = chapter_slugs(REPO_ROOT / "chapters")
STUB = "replace this line with your answer"
VALIDATE = """
import json, os, sys
from nbgrader.server_extensions.validate_assignment.handlers import ValidateAssignmentHandler
from nbgrader.validator import Validator
config = ValidateAssignmentHandler.load_config(None)  # what the Validate button loads, from cwd
config.Validator.validate_all = True                  # list every failing cell, not only tests
print(json.dumps(Validator(config=config).validate(os.path.abspath(sys.argv[1]))))
"""


def _plain(text: str) -> str:
    """``text`` without ANSI colour codes (Validate's errors are coloured tracebacks)."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("VIRTUAL_ENV", "PYTHONPATH", "JUPYTER", "QTLIB_NOTEBOOKS"))}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if not p.startswith(str(REPO_ROOT)))
    return {**env, **extra}


@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> Path:
    """The fresh copy with its environment set up. QTLIB_EDITION_COPY=<folder> reuses a copy
    an earlier run set up (while developing these tests; CI never sets it)."""
    if os.environ.get("QTLIB_EDITION_COPY"):
        return Path(os.environ["QTLIB_EDITION_COPY"])
    base = tmp_path_factory.mktemp("fresh")
    export(base / "edition")
    subprocess.run(["git", "clone", "--quiet", str(base / "edition"), str(base / "copy")],
                   check=True)
    start = time.monotonic()
    proc = subprocess.run(["make", "setup"], cwd=base / "copy", env=_env(), capture_output=True,
                          text=True, timeout=3000)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    print(f"\nfresh copy: make setup took {time.monotonic() - start:.0f} s")
    return base / "copy"


def test_the_copy_installs_its_own_qtlib(copy):
    out = subprocess.run([str(copy / ".venv/bin/python"), "-c",
                          "import sys, qtlib; print(qtlib.__file__); print(sys.prefix)"],
                         cwd="/", env=_env(), capture_output=True, text=True, check=True)
    module, prefix = out.stdout.split()
    assert Path(module).is_relative_to(copy) and Path(prefix) == copy / ".venv"
    cfg = (copy / ".venv" / "pyvenv.cfg").read_text()
    assert "include-system-site-packages = false" in cfg


def test_make_lab_serves_jupyterlab(copy, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = "learner-edition-token"
    proc = subprocess.Popen(["make", "lab"], cwd=copy, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True,
                            env=_env(JUPYTER_PORT=str(port), JUPYTER_TOKEN=token,
                                     BROWSER="true", JUPYTER_RUNTIME_DIR=str(tmp_path)))
    try:
        body, url, deadline = None, "", time.monotonic() + 180
        while body is None and time.monotonic() < deadline and proc.poll() is None:
            try:  # "/" redirects to the page make lab opens
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/?token={token}",
                                            timeout=5) as resp:
                    body = resp.read().decode() if resp.status == 200 else None
                    url = resp.url
            except (urllib.error.URLError, ConnectionError):
                time.sleep(1)
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        assert body and "jupyter-config-data" in body
        # the learner's JupyterLab is rooted at chapters/ (qtlib.lab), so chapter 0 is at its top
        assert "/lab/tree/ch00_getting_started/ch00_getting_started.ipynb" in url, \
            f"opens chapter 0, not {url}"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_the_shipped_unit_tests_are_this_repositorys(copy):
    shipped = [p for p in (copy / "tests").rglob("*.py") if p.name != "test_notebooks.py"]
    assert len(shipped) > 20
    assert [p for p in shipped
            if p.read_bytes() != (REPO_ROOT / p.relative_to(copy)).read_bytes()] == []


def test_the_learners_checks_pass_in_the_copy(copy):
    if os.environ.get("QTLIB_EDITION_FULL") == "1":
        commands = [["make", "test"]]
    else:
        py = str(copy / ".venv/bin/python")
        commands = [["make", "lint"],
                    [py, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                     "tests/test_environment.py", "tests/test_layers.py", "tests/test_lab.py",
                     "tests/grading/test_checks.py",
                     "tests/test_notebooks.py"],
                    [py, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--collect-only"]]
    for command in commands:
        proc = subprocess.run(command, cwd=copy, capture_output=True, text=True, timeout=3500,
                              env=_env(QTLIB_NOTEBOOKS="ch00_getting_started"))
        assert proc.returncode == 0, f"{command}: " + proc.stdout[-3000:] + proc.stderr[-2000:]
        if "pytest" in command or command == ["make", "test"]:  # nothing skipped or failed
            last = proc.stdout.strip().splitlines()[-1]
            assert re.search(r"\d+ (passed|tests? collected)", last), proc.stdout[-2000:]
            assert not re.search(r"skipped|error|failed|deselected|xfail", last), last


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_validate_fails_only_on_the_blank_answers(copy, chapter):
    notebook = copy / "chapters" / chapter / f"{chapter}.ipynb"
    proc = subprocess.run([str(copy / ".venv/bin/python"), "-c", VALIDATE, str(notebook)],
                          cwd=copy, capture_output=True, text=True, timeout=1100, env=_env())
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    assert set(results) <= {"failed"}, f"Validate reports {sorted(results)}"
    failed = {f["source"]: f["raw_error"] for f in results.get("failed", [])}
    for error in failed.values():
        assert "ImportError" not in error and "ModuleNotFoundError" not in error, error[-1500:]
    cells = nbformat.read(notebook, as_version=4).cells

    def role(cell) -> str:
        nbg = cell.metadata.get("nbgrader", {})
        if nbg.get("solution"):  # a written (markdown) answer fails as "no response" too
            return "answer" if cell.cell_type == "code" else "written"
        return "test" if nbg.get("grade") and cell.cell_type == "code" else "other"

    written = [c.source.strip() for c in cells if role(c) == "written"]
    answers = [c for c in cells if role(c) == "answer"]
    tests = [c.source.strip() for c in cells if role(c) == "test"]
    assert answers, f"{chapter} has no answer cell"
    for cell in answers:  # its stub names the exercise: "<exercise>: replace this line ..."
        exercise = cell.metadata["nbgrader"]["grade_id"].removesuffix("_answer")
        stub = f"NotImplementedError: {exercise}: {STUB}"
        assert any(stub in _plain(e) for e in failed.values()), f"no failure says {stub!r}"
    assert [s for s in tests if s not in failed] == [], "a test passes without an answer"
    answers = [c.source.strip() for c in answers]
    others = {s: e for s, e in failed.items()
              if s not in answers and s not in tests and s not in written}
    assert others == {}, f"non-exercise cells failed: {list(others.items())[:2]}"

