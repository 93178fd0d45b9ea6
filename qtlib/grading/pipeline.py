"""Drive nbgrader 0.9.6 for the course: release chapters, register submissions, read scores.

Every step runs the ``nbgrader`` command line from the repository root, so ``nbgrader_config.py``
applies, and passes the folders of a :class:`CourseDirs` as ``--CourseDirectory.*`` flags, so the
same code serves ``make release`` / ``make grade`` (the repository's folders) and the tests
(temporary folders). Scores are read from nbgrader's gradebook database, never from exit codes.

Layout (assignment id = chapter slug, e.g. ``ch00_getting_started``)::

    <source>/<chapter>/<chapter>.ipynb              instructor version (solutions/)
    <release>/<chapter>/<chapter>.ipynb             student version (chapters/)
    <work>/submitted/<student>/<chapter>/...        copies of the submissions being graded
    <work>/autograded/<student>/<chapter>/...       registered notebooks (never executed)
    <work>/verdicts/<chapter>/<student>.json        the judge's scores (qtlib.grading.classroom)
    <work>/feedback/<student>/<chapter>/<chapter>.html
    <work>/gradebook.db
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
CHAPTER_PATTERN = re.compile(r"^ch\d\d_[a-z0-9_]+$")
#: The student id a submission is graded under must be a plain folder name.
STUDENT_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


@dataclass(frozen=True)
class CourseDirs:
    """The folders one grading or release run works on (absolute paths).

    ``cell_timeout`` overrides ``Execute.timeout`` (seconds per cell) when not None.
    """

    source: Path = REPO_ROOT / "solutions"
    release: Path = REPO_ROOT / "chapters"
    work: Path = REPO_ROOT / "build" / "nbgrader"
    cell_timeout: int | None = None
    extra_flags: tuple[str, ...] = field(default=())

    @property
    def db_path(self) -> Path:
        return self.work / "gradebook.db"

    def flags(self) -> list[str]:
        """``--CourseDirectory.*`` (and timeout) flags for the nbgrader command line."""
        w = self.work
        flags = [
            f"--CourseDirectory.root={REPO_ROOT}",
            f"--CourseDirectory.source_directory={self.source}",
            f"--CourseDirectory.release_directory={self.release}",
            f"--CourseDirectory.submitted_directory={w / 'submitted'}",
            f"--CourseDirectory.autograded_directory={w / 'autograded'}",
            f"--CourseDirectory.feedback_directory={w / 'feedback'}",
            f"--CourseDirectory.solution_directory={w / 'solution'}",
            f"--CourseDirectory.source_with_tests_directory={w / 'source_with_tests'}",
            f"--CourseDirectory.db_url=sqlite:///{self.db_path}",
        ]
        if self.cell_timeout is not None:
            if not isinstance(self.cell_timeout, int) or self.cell_timeout < 1:
                raise ValueError(f"cell_timeout must be a positive int of seconds, got "
                                 f"{self.cell_timeout!r}")
            flags += [f"--Execute.timeout={self.cell_timeout}",
                      f"--ExecutePreprocessor.timeout={self.cell_timeout}"]
        return flags + list(self.extra_flags)


def chapter_slugs(source: Path = REPO_ROOT / "solutions") -> list[str]:
    """Sorted chapter folders ``chNN_slug`` of ``source`` that hold ``chNN_slug.ipynb``."""
    source = Path(source)
    if not source.is_dir():
        raise ValueError(f"source must be an existing folder of chapters, got {source}")
    return sorted(p.name for p in source.iterdir()
                  if p.is_dir() and CHAPTER_PATTERN.match(p.name)
                  and (p / f"{p.name}.ipynb").is_file())


def _check_chapter(chapter: str) -> str:
    if not isinstance(chapter, str) or not CHAPTER_PATTERN.match(chapter):
        raise ValueError(f"chapter must be a slug like 'ch00_getting_started', got {chapter!r}")
    return chapter


def _env_with_scripts() -> dict[str, str]:
    """os.environ with this interpreter's scripts folder first on PATH: nbgrader's Gradebook runs
    the ``alembic`` command, which is only on PATH when the virtual environment is activated."""
    scripts = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if scripts not in path.split(os.pathsep):
        path = scripts + os.pathsep + path
    return dict(os.environ, PATH=path)


@contextmanager
def _gradebook(dirs: CourseDirs):
    """nbgrader's Gradebook on ``dirs.db_path`` (with ``alembic`` findable on PATH)."""
    from nbgrader.api import Gradebook

    old = os.environ.get("PATH")
    os.environ["PATH"] = _env_with_scripts()["PATH"]
    try:
        with Gradebook(f"sqlite:///{dirs.db_path}") as gb:
            yield gb
    finally:
        if old is None:
            os.environ.pop("PATH", None)
        else:
            os.environ["PATH"] = old


def run_nbgrader(dirs: CourseDirs, command: str, *args: str) -> subprocess.CompletedProcess:
    """Run ``python -m nbgrader <command> <args> <dirs.flags()>`` at the repository root.

    Raises RuntimeError with the end of nbgrader's log when it exits non-zero (a failed step
    of the pipeline, not a failed learner test: those are recorded as scores).
    """
    dirs.work.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "nbgrader", command, *args, *dirs.flags()]
    proc = subprocess.run(argv, cwd=REPO_ROOT, env=_env_with_scripts(), capture_output=True,
                          text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"nbgrader {command} {' '.join(args)} failed (exit {proc.returncode}):"
                           f"\n{proc.stderr[-4000:]}")
    return proc


def generate_release(dirs: CourseDirs, chapters: Iterable[str] | None = None) -> list[Path]:
    """Generate ``dirs.release/<chapter>/`` from ``dirs.source`` for each chapter (all by default).

    Existing release folders of these chapters are replaced (``--force``). Returns the released
    notebooks. Also registers the chapters in ``dirs``'s gradebook.
    """
    chapters = chapter_slugs(dirs.source) if chapters is None else [
        _check_chapter(c) for c in chapters]
    out = []
    for chapter in chapters:
        run_nbgrader(dirs, "generate_assignment", chapter, "--force")
        out.append(dirs.release / chapter / f"{chapter}.ipynb")
    return out


def release_course(source: Path = REPO_ROOT / "solutions",
                   release: Path = REPO_ROOT / "chapters") -> list[Path]:
    """``make release``: regenerate every chapter of ``release`` from ``source``.

    Generation happens in a temporary folder with a throwaway gradebook; then each chapter folder
    of ``release`` is replaced and chapter folders without a source are removed. The result
    depends only on ``source`` (nbgrader writes no timestamps or random ids into a release).
    """
    source, release = Path(source).resolve(), Path(release).resolve()
    chapters = chapter_slugs(source)
    release.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="qtlib-release-") as tmp:
        tmp_dirs = CourseDirs(source=source, release=Path(tmp) / "release",
                              work=Path(tmp) / "work")
        generate_release(tmp_dirs, chapters)
        for stale in release.iterdir():
            if stale.is_dir() and CHAPTER_PATTERN.match(stale.name) and stale.name not in chapters:
                shutil.rmtree(stale)
        for chapter in chapters:
            shutil.rmtree(release / chapter, ignore_errors=True)
            shutil.copytree(tmp_dirs.release / chapter, release / chapter)
    return [release / c / f"{c}.ipynb" for c in chapters]


def autograde(dirs: CourseDirs, chapter: str, submissions: Mapping[str, Path]) -> None:
    """Register several students' notebooks of one chapter in ONE ``nbgrader autograde`` run.

    nbgrader_config.py configures autograde to execute nothing and to score every autograded cell
    0; :func:`qtlib.grading.classroom.record_verdicts` then writes the judge's scores.

    ``submissions`` maps a student id to their ``<chapter>.ipynb``. The chapter must be
    registered in ``dirs``'s gradebook (:func:`generate_release` into any release folder does
    that). Earlier submissions of these students for this chapter are replaced.
    """
    _check_chapter(chapter)
    if not submissions:
        raise ValueError("submissions must map at least one student id to a notebook path")
    for student, notebook in submissions.items():
        if not isinstance(student, str) or not STUDENT_PATTERN.match(student):
            raise ValueError(f"student ids must be plain folder names, got {student!r}")
        notebook = Path(notebook)
        if not notebook.is_file():
            raise ValueError(f"submission of {student!r} must be an existing .ipynb file, got "
                             f"{notebook}")
        dest = dirs.work / "submitted" / student / chapter
        shutil.rmtree(dest, ignore_errors=True)
        dest.mkdir(parents=True)
        shutil.copy(notebook, dest / f"{chapter}.ipynb")
    # nbgrader selects students by one glob; exclude the other students already in submitted/
    # so only these submissions are (re)graded.
    others = sorted(p.parent.name for p in (dirs.work / "submitted").glob(f"*/{chapter}")
                    if p.parent.name not in submissions)
    extra = [f"--CourseDirectory.student_id_exclude={','.join(others)}"] if others else []
    run_nbgrader(dirs, "autograde", chapter, "--force", *extra)


@dataclass(frozen=True)
class CellScore:
    """One graded cell of one student's submission, as recorded in the gradebook."""

    student: str
    chapter: str
    cell: str  # the grade id, e.g. "ex1_float32_bytes_test"
    score: float
    max_score: float


def scores(dirs: CourseDirs, chapter: str) -> list[CellScore]:
    """Every graded cell of every submission of ``chapter``, read with nbgrader's Gradebook API."""
    _check_chapter(chapter)
    out = []
    with _gradebook(dirs) as gb:
        assignment = gb.find_assignment(chapter)
        for submission in assignment.submissions:
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    if grade.max_score == 0:
                        continue
                    out.append(CellScore(submission.student.id, chapter, grade.name,
                                         float(grade.score), float(grade.max_score)))
    return sorted(out, key=lambda s: (s.student, s.cell))


def exercise_of(cell: str) -> str:
    """The exercise of a grade id: ``ex1_bytes_test_2``, ``ex1_bytes_answer`` -> ``ex1_bytes``."""
    return re.sub(r"_(answer|test(_\d+)?)$", "", cell)
