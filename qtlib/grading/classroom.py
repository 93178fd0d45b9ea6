"""Grade a class: judge students in parallel, then record every score in nbgrader's gradebook.

``make grade SUBMISSIONS=dir JOBS=N`` runs :func:`grade_class`:

1. find ``dir/<student>/<chapter>/<chapter>.ipynb`` for the chapters of solutions/;
2. judge each (chapter, student) in its own ``python -m qtlib.grading.judge`` process, ``jobs``
   at a time; each writes ``<work>/verdicts/<chapter>/<student>.json`` atomically (temporary file
   + rename), keyed by the hashes of the submission and of the source notebook, the grader
   version and the limits. A verdict whose key matches is reused: after a crash or a kill,
   re-running judges only the students without one;
3. only this process writes the gradebook: per chapter it registers the submissions with
   ``nbgrader autograde`` (configured in nbgrader_config.py to run NO learner code and to score
   every autograded cell 0 until judged; it gets the release notebook with the learner's answer
   cells in it, :func:`~qtlib.grading.exercises.normalized_submission`, so tampered metadata
   cannot make it fail), then sets each autograded cell's ``auto_score`` from the verdict, and
   writes an HTML feedback page per student;
4. the CSV (student, chapter, exercise, cell, score, max_score) is read back from the gradebook.

Re-running is idempotent: nbgrader replaces a student's submission, the scores are set (not
added), and the CSV is rebuilt from the gradebook, so no row is lost or doubled.
"""

from __future__ import annotations

import csv
import hashlib
import html
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from qtlib.grading.exercises import normalized_submission
from qtlib.grading.judge import GRADER_VERSION
from qtlib.grading.pipeline import (
    STUDENT_PATTERN,
    CourseDirs,
    _gradebook,
    autograde,
    chapter_slugs,
    exercise_of,
    generate_release,
    scores,
)
from qtlib.grading.sandbox import Limits, describe_mode, sandbox_mode


@dataclass(frozen=True)
class GradeOptions:
    """How a class is graded: ``jobs`` students at a time, the worker's limits per exercise,
    the wall-clock budget per notebook (seconds)."""

    jobs: int = 1
    limits: Limits = field(default_factory=Limits)
    notebook_seconds: int = 900

    def __post_init__(self) -> None:
        if not isinstance(self.jobs, int) or self.jobs < 1:
            raise ValueError(f"jobs must be a positive int (students judged at once), got "
                             f"{self.jobs!r}")
        if not isinstance(self.notebook_seconds, int) or self.notebook_seconds < 1:
            raise ValueError(f"notebook_seconds must be a positive int, got "
                             f"{self.notebook_seconds!r}")


@dataclass
class GradeReport:
    """What :func:`grade_class` did: the CSV, students judged now, verdicts reused, failures."""

    csv_path: Path
    judged: list[tuple[str, str]] = field(default_factory=list)
    reused: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    sandbox: str = ""
    seconds: float = 0.0


def find_submissions(submissions: Path, source: Path) -> dict[str, dict[str, Path]]:
    """chapter -> student -> notebook, for ``submissions/<student>/<chapter>/<chapter>.ipynb``."""
    submissions = Path(submissions)
    if not submissions.is_dir():
        raise ValueError(f"submissions must be a folder of <student>/<chapter>/<chapter>.ipynb, "
                         f"got {submissions}")
    known = set(chapter_slugs(source))
    by_chapter: dict[str, dict[str, Path]] = {}
    for nb in sorted(submissions.glob("*/*/*.ipynb")):
        student, chapter = nb.parent.parent.name, nb.parent.name
        if chapter in known and nb.stem == chapter and STUDENT_PATTERN.match(student):
            by_chapter.setdefault(chapter, {})[student] = nb
    if not by_chapter:
        raise ValueError(f"no submissions found: expected {submissions}/<student>/<chapter>/"
                         f"<chapter>.ipynb with a chapter among {sorted(known)}")
    return by_chapter


def _sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def verdict_key(submission: Path, source_notebook: Path, options: GradeOptions) -> str:
    """What a verdict depends on: both notebooks' bytes, the grader version, the limits."""
    parts = [_sha(submission), _sha(source_notebook), GRADER_VERSION, repr(options.limits),
             str(options.notebook_seconds)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _read_verdict(path: Path, key: str) -> dict | None:
    try:
        verdict = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return verdict if isinstance(verdict, dict) and verdict.get("key") == key else None


def _judge_argv(source_nb: Path, submission: Path, out: Path, meta: dict,
                options: GradeOptions) -> list[str]:
    return [sys.executable, "-m", "qtlib.grading.judge", str(source_nb), str(submission),
            str(out), "--meta", json.dumps(meta),
            "--cell-seconds", str(options.limits.cpu_seconds),
            "--notebook-seconds", str(options.notebook_seconds),
            "--memory-gb", str(options.limits.memory / 2**30)]


def judge_all(tasks: list[tuple[str, str, Path]], dirs: CourseDirs,
              options: GradeOptions, report: GradeReport) -> dict[tuple[str, str], dict]:
    """Judge (chapter, student, notebook) tasks, ``options.jobs`` at a time; reuse verdicts."""
    verdicts: dict[tuple[str, str], dict] = {}
    pending: list[tuple[tuple[str, str], list[str], Path, str]] = []
    for chapter, student, notebook in tasks:
        source_nb = dirs.source / chapter / f"{chapter}.ipynb"
        out = dirs.work / "verdicts" / chapter / f"{student}.json"
        key = verdict_key(notebook, source_nb, options)
        found = _read_verdict(out, key)
        if found is not None:
            verdicts[(chapter, student)] = found
            report.reused.append((chapter, student))
            continue
        meta = {"key": key, "student": student, "chapter": chapter, "grader": GRADER_VERSION}
        pending.append(((chapter, student), _judge_argv(source_nb, notebook, out, meta, options),
                        out, key))
    running: list[tuple[subprocess.Popen, tuple, Path, str, float]] = []
    budget = options.notebook_seconds + 120
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    while pending or running:
        while pending and len(running) < options.jobs:
            who, argv, out, key = pending.pop(0)
            # same process group as this one: Ctrl-C or a kill of the run stops the judges too
            out.parent.mkdir(parents=True, exist_ok=True)
            with out.with_suffix(".log").open("wb") as log:
                proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=log, env=env)
            running.append((proc, who, out, key, time.monotonic()))
        time.sleep(0.2)
        for item in list(running):
            proc, who, out, key, started = item
            if proc.poll() is None and time.monotonic() - started < budget:
                continue
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            log = out.with_suffix(".log")
            err = log.read_text(errors="replace") if log.exists() else ""
            running.remove(item)
            verdict = _read_verdict(out, key)
            if verdict is None:
                report.failed.append(who)
                print(f"grading {who[1]} ({who[0]}) failed: {err[-2000:]}", file=sys.stderr)
                continue
            verdicts[who] = verdict
            report.judged.append(who)
    return verdicts


def record_verdicts(dirs: CourseDirs, chapter: str, verdicts: dict[str, dict]) -> None:
    """Set ``auto_score`` of every autograded test cell of these students from their verdict.

    A cell missing from a verdict scores 0. Cells that are not test cells (the manually graded
    written answer) are left to formgrader.
    """
    with _gradebook(dirs) as gb:
        for student, verdict in verdicts.items():
            cells = verdict.get("cells", {})
            notebook = gb.find_submission_notebook(chapter, chapter, student)
            for grade in notebook.grades:
                cell = grade.cell
                if cell.max_score == 0 or grade.name.endswith("_answer"):
                    continue
                row = cells.get(grade.name, {})
                score = float(row.get("score", 0.0))
                grade.auto_score = max(0.0, min(score, float(cell.max_score)))
                grade.needs_manual_grade = False
        gb.db.commit()


def write_feedback(path: Path, student: str, chapter: str, verdict: dict) -> None:
    """A small HTML page: each exercise's cells, score and one-sentence message (escaped)."""
    rows, total, best = [], 0.0, 0.0
    for gid, cell in sorted(verdict.get("cells", {}).items()):
        total += float(cell["score"])
        best += float(cell["max_score"])
        message = cell.get("message") or "passed"
        rows.append(f"<tr><td>{html.escape(exercise_of(gid))}</td><td>{html.escape(gid)}</td>"
                    f"<td>{float(cell['score']):g} / {float(cell['max_score']):g}</td>"
                    f"<td>{html.escape(message)}</td></tr>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>"
        f"{html.escape(chapter)}: feedback for {html.escape(student)}</title></head><body>"
        f"<h1>{html.escape(chapter)}</h1><p>Student: {html.escape(student)}. Score of the "
        f"autograded exercises: {total:g} / {best:g} (a written answer is graded by hand).</p>"
        "<table border='1'><tr><th>exercise</th><th>cell</th><th>Score</th><th>message</th></tr>"
        + "".join(rows) + "</table></body></html>")


def grade_class(submissions: Path, dirs: CourseDirs | None = None,
                csv_path: Path | None = None,
                options: GradeOptions | None = None) -> GradeReport:
    """``make grade``: judge, record and report every submission under ``submissions``."""
    dirs = dirs or CourseDirs()
    options = options or GradeOptions()
    start = time.monotonic()
    by_chapter = find_submissions(submissions, dirs.source)
    report = GradeReport(csv_path=Path(csv_path) if csv_path else dirs.work / "grades.csv",
                         sandbox=sandbox_mode())
    print(f"sandbox: {describe_mode(report.sandbox)}", file=sys.stderr)
    tasks = [(ch, st, nb) for ch, students in sorted(by_chapter.items())
             for st, nb in sorted(students.items())]
    verdicts = judge_all(tasks, dirs, options, report)
    rows = []
    with tempfile.TemporaryDirectory(prefix="qtlib-grade-") as tmp:
        register = CourseDirs(source=dirs.source, release=Path(tmp), work=dirs.work,
                              extra_flags=dirs.extra_flags)
        for chapter, students in sorted(by_chapter.items()):
            generate_release(register, [chapter])
            release_nb = register.release / chapter / f"{chapter}.ipynb"
            normalized = {}
            for student, notebook in students.items():
                path = Path(tmp) / "normalized" / student / f"{chapter}.ipynb"
                path.parent.mkdir(parents=True, exist_ok=True)
                nbformat.write(normalized_submission(release_nb, notebook), path)
                normalized[student] = path
            autograde(dirs, chapter, normalized)
            judged = {st: verdicts.get((chapter, st), {"cells": {}}) for st in students}
            record_verdicts(dirs, chapter, judged)
            for student, verdict in judged.items():
                write_feedback(dirs.work / "feedback" / student / chapter / f"{chapter}.html",
                               student, chapter, verdict)
            rows += [s for s in scores(dirs, chapter) if s.student in students]
    report.csv_path.parent.mkdir(parents=True, exist_ok=True)
    tmp_csv = report.csv_path.with_name(report.csv_path.name + ".tmp")
    with tmp_csv.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["student", "chapter", "exercise", "cell", "score", "max_score"])
        for s in rows:
            writer.writerow([s.student, s.chapter, exercise_of(s.cell), s.cell, s.score,
                             s.max_score])
    os.replace(tmp_csv, report.csv_path)
    report.seconds = round(time.monotonic() - start, 1)
    return report
