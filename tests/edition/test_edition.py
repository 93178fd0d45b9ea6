"""The learner edition (make learner-edition): what it holds, what it never holds, and that it is
reproducible. Cheap checks, run on every `make test` (an export takes a few seconds).

The expensive claims (a fresh copy installs, serves JupyterLab, passes its own tests, and every
release notebook validates in its environment) are in test_fresh_copy.py.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest
from leaks import leaks, secret_lines
from traitlets.config.loader import PyFileConfigLoader

from qtlib.grading.edition import (
    AUTHOR,
    DATE,
    GRADING_FOR_LEARNERS,
    INSTRUCTOR_ONLY_PACKAGES,
    MTIME,
    export,
)
from qtlib.grading.pipeline import REPO_ROOT, chapter_slugs
from qtlib.utils.publishing import binder_badge, binder_url, learner_repo

#: lines of solution regions that also appear, on purpose, in files learners get: the exercise
#: asks the learner to write a function that qtlib (the library the course lets them read) or
#: its unit tests already contain. Each entry was reviewed; a new collision fails the test.
ALLOWED = {
    ("qtlib/eval/memory.py", "return buffer.getbuffer().nbytes"):
        "ch05 serialized_size_bytes re-derives qtlib.eval.serialized_size",
    ("qtlib/quant/affine.py", "shape[axis] = -1"):
        "ch02 per-channel scales broadcast like qtlib.quant.affine",
    ("qtlib/quant/kmeans.py",
     "codebook = torch.where(counts > 0, sums / counts.clamp(min=1), codebook)"):
        "ch05 k-means re-derives qtlib.quant.kmeans (empty clusters keep their centre)",
    ("tests/nn/test_modules.py", "s, z = choose_qparams(x, spec)"): "a call of qtlib's API",
    ("tests/quant/test_affine.py", "s, z = choose_qparams(x, spec)"): "a call of qtlib's API",
    ("tests/quant/test_affine.py", "scale = float(torch.tensor(scale, dtype=torch.float32))"):
        "the float32 rounding of a scale that qtlib.quant documents (ch02)",
    ("qtlib/eval/quality.py", "return hits / (2 * len(pairs))"):
        "ch07 retrieval_at_1 re-derives qtlib.eval.paraphrase_retrieval (both directions count)",
    ("qtlib/experiments/ch03_design.py", "x = args[0].detach()"):
        "the first line of a forward pre-hook, as ch03's outlier exercise writes one",
    **{("qtlib/methods/mixed_precision.py", line):
       "ch03's budgeted choice of float layers re-derives qtlib.methods.mixed_precision"
       for line in ("if total + extra <= budget_bytes:", "keep.append(name)",
                    "return ranking, keep", "total += extra")},
}
#: generic statements that say nothing about an answer
IDIOM = re.compile(r"^(for _ in range\(\w+\):|\w+\.(eval|train|backward)\(\)|\w+\(\w+\)"
                   r"|raise \w+\(|\w+ = [\{\[\(]"
                   r"|\w+ = [\w.]+\(\)|from [\w.]+ import [\w, ]+|for \w+ in \w+:"
                   r"|\w+ = torch\.Generator\(\)\.manual_seed\(\d+\))$")


@pytest.fixture(scope="module")
def edition(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("edition") / "learner"
    export(dest)
    return dest


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True,
                          check=True).stdout


def _tree(root: Path) -> dict[str, tuple[bytes, int, int]]:
    return {p.relative_to(root).as_posix(): (p.read_bytes(), stat.S_IMODE(p.stat().st_mode),
                                             int(p.stat().st_mtime))
            for p in sorted(root.rglob("*")) if p.is_file() and ".git" not in p.parts}


def test_no_solution_or_hidden_test_line_in_any_file(edition):
    secret = {s for s in secret_lines(REPO_ROOT / "solutions") if not IDIOM.match(s)}
    assert len(secret) > 100, "the solutions' regions were not read"
    found = {path: [h for h in hits if (path, h) not in ALLOWED]
             for path, hits in leaks(edition, secret).items()}
    assert {p: h for p, h in found.items() if h} == {}


def test_the_leak_check_catches_a_planted_line(edition, tmp_path):
    secret = secret_lines(REPO_ROOT / "solutions")
    line = max(secret, key=len)
    planted = tmp_path / "copy"
    shutil.copytree(edition / "qtlib", planted / "qtlib")
    (planted / "qtlib" / "quant" / "planted.py").write_text(f"def f():\n    {line}\n")
    (planted / "notes.md").write_text("### BEGIN HIDDEN TESTS\n")
    found = leaks(planted, secret)
    assert found["qtlib/quant/planted.py"] == [line]
    assert found["notes.md"] == ["BEGIN HIDDEN TESTS"]


def test_no_instructor_file_is_exported(edition):
    files = {p.relative_to(edition).as_posix() for p in edition.rglob("*")
             if p.is_file() and ".git" not in p.parts}
    for prefix in ("solutions/", "docs/", "bench/", "build/", ".ci/", "tests/chapters/",
                   "tests/browser/", "tests/binder/", "tests/edition/", "edition/"):
        assert not [f for f in files if f.startswith(prefix)], prefix
    assert {f for f in files if f.startswith("tests/grading/")} == {"tests/grading/test_checks.py"}
    assert {f for f in files if f.startswith("qtlib/grading/")} == {
        f"qtlib/grading/{name}" for name in GRADING_FOR_LEARNERS}
    assert not [f for f in files if "gradebook" in f or "wrong_answers" in f or "tampering" in f]
    for chapter in chapter_slugs(REPO_ROOT / "solutions"):
        assert f"chapters/{chapter}/{chapter}.ipynb" in files, chapter
    assert "qtlib.grading" not in (edition / "nbgrader_config.py").read_text()


IMPORT_ALL = """
import importlib, pathlib, pkgutil, sys
import qtlib
root = pathlib.Path(sys.argv[1])
assert pathlib.Path(qtlib.__file__).is_relative_to(root), qtlib.__file__
for info in pkgutil.walk_packages(qtlib.__path__, "qtlib."):
    if not info.name.endswith("__main__"):
        importlib.import_module(info.name)
for line in sys.argv[2:]:
    exec(line, {})
"""


def test_every_exported_module_and_every_qtlib_import_of_a_notebook_or_test_works(edition):
    """Nothing exported needs a module the edition leaves out (run against the edition's
    qtlib in a subprocess: every qtlib module, then every qtlib import line of the release
    notebooks and the learner's tests)."""
    lines = set()
    for path in [*edition.glob("chapters/*/*.ipynb"), *edition.rglob("tests/**/*.py")]:
        text = path.read_text()
        if path.suffix == ".ipynb":
            text = "\n".join(c.source for c in nbformat.reads(text, as_version=4).cells)
        lines |= {ln.strip() for ln in text.splitlines()
                  if re.match(r"\s*(from qtlib[\w.]* import [\w, ]+|import qtlib[\w.]*)"
                              r"( as \w+)?\s*(#.*)?$", ln)}
    assert any("qtlib.grading" in ln for ln in lines), "ch00 imports the checks"
    proc = subprocess.run([sys.executable, "-c", IMPORT_ALL, str(edition), *sorted(lines)],
                          cwd=edition, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(edition)})
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_one_commit_with_a_fixed_author_and_date_and_nothing_else(edition):
    assert _git(edition, "rev-list", "--all").split() == [_git(edition, "rev-parse", "HEAD")
                                                          .strip()]
    assert _git(edition, "log", "--format=%an|%cn|%aI|%cI").strip() == \
        f"{AUTHOR}|{AUTHOR}|{DATE}|{DATE}"
    assert _git(edition, "status", "--porcelain", "--ignored") == ""
    assert _git(edition, "fsck", "--unreachable", "--no-reflogs", "--no-progress").strip() == ""
    assert _git(edition, "stash", "list") == ""


def test_exporting_twice_gives_the_same_tree_and_commit(edition, tmp_path):
    again = tmp_path / "again"
    assert export(again) == _git(edition, "rev-parse", "HEAD").strip()
    first, second = _tree(edition), _tree(again)
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []
    assert {mtime for _, _, mtime in first.values()} == {MTIME}
    assert stat.S_IMODE((edition / "binder" / "postBuild").stat().st_mode) == 0o755


def test_an_edition_is_replaced_whole_and_other_folders_are_refused(tmp_path):
    dest = tmp_path / "learner"
    head = export(dest)
    (dest / "stale.txt").write_text("an earlier state")
    assert export(dest) == head and not (dest / "stale.txt").exists()
    other = tmp_path / "project"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        export(other)
    assert (other / "keep.txt").read_text() == "mine"


def test_the_generated_files(edition):
    readme = (edition / "README.md").read_text()
    assert binder_badge() in readme and learner_repo() in readme
    for chapter in chapter_slugs(REPO_ROOT / "chapters"):
        assert binder_url(f"chapters/{chapter}/{chapter}.ipynb") in readme, chapter
    assert "make lab" in readme and "make test" in readme
    makefile = (edition / "Makefile").read_text()
    assert not re.search(r"^(release|grade|learner-edition):", makefile, re.M)
    assert re.search(r"^(lab|test|setup):", makefile, re.M)
    project = tomllib.loads((edition / "pyproject.toml").read_text())
    dev = " ".join(project["project"]["optional-dependencies"]["dev"])
    assert not [p for p in INSTRUCTOR_ONLY_PACKAGES if p in dev]
    for tool in ("pytest", "hypothesis", "ruff", "import-linter", "PyYAML"):
        assert tool in dev, f"the learner's tests need {tool}"
    assert project["tool"]["qtlib"]["learner_repo"] == learner_repo()
    env = (edition / "environment.yml").read_text()
    assert not [p for p in INSTRUCTOR_ONLY_PACKAGES if p in env]


def test_validate_settings_equal_the_instructors(edition):
    """The learner's nbgrader_config.py gives Validate the instructor's execution settings."""
    def load(folder: Path):
        return PyFileConfigLoader("nbgrader_config.py", path=str(folder)).load_config()

    ours, theirs = load(edition), load(REPO_ROOT)
    for section in ("Execute", "ExecutePreprocessor"):
        assert dict(ours[section]) == dict(theirs[section]), section
    assert ours.CourseDirectory.course_id == theirs.CourseDirectory.course_id


def test_the_layer_contract_holds_in_the_edition(edition):
    lint = [sys.executable, "-c", "import sys; from importlinter.cli import "
            "lint_imports_command; sys.exit(lint_imports_command())"]
    proc = subprocess.run([*lint, "--no-cache", "--config", str(edition / "pyproject.toml")],
                          cwd=edition, capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(edition), "PATH": os.defpath})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "1 kept, 0 broken" in proc.stdout


@pytest.mark.timeout(300)
def test_repo2docker_accepts_the_edition(edition, tmp_path):
    exe = Path(sys.executable).parent / "jupyter-repo2docker"
    proc = subprocess.run([str(exe), "--no-build", "--debug", "--user-id", "1000",
                           "--user-name", "jovyan", str(edition)],
                          capture_output=True, text=True, timeout=240, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'env update -p ${NB_PYTHON_PREFIX} --file "binder/environment.yml"' in proc.stdout
    assert "RUN ./binder/postBuild" in proc.stdout
