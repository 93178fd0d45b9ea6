"""Instructor commands: ``python -m qtlib.grading.cli release`` and ``... grade SUBMISSIONS``.

``release`` regenerates chapters/ from solutions/ (what ``make release`` runs).
``grade SUBMISSIONS [--jobs N]`` grades ``SUBMISSIONS/<student>/<chapter>/<chapter>.ipynb`` for
every student and chapter found (what ``make grade SUBMISSIONS=... JOBS=N`` runs), ``N``
students at a time, and writes ``build/nbgrader/grades.csv`` and
``build/nbgrader/feedback/<student>/<chapter>/<chapter>.html``. Re-running resumes: students
whose verdict is already in ``build/nbgrader/verdicts/`` are not judged again.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import defaultdict
from pathlib import Path

from qtlib.grading.pipeline import release_course
from qtlib.grading.sandbox import Limits


def _positive(kind: type):
    def parse(text: str):
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value
    return parse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qtlib.grading.cli", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("release", help="regenerate chapters/ from solutions/")
    grade = sub.add_parser("grade", help="grade a folder of submissions")
    grade.add_argument("submissions", type=Path,
                       help="folder of <student>/<chapter>/<chapter>.ipynb")
    grade.add_argument("--csv", type=Path, default=None,
                       help="where to write the grades (default build/nbgrader/grades.csv)")
    grade.add_argument("--jobs", type=_positive(int), default=1,
                       help="students judged at once (default 1)")
    grade.add_argument("--timeout", type=_positive(int), default=Limits().cpu_seconds,
                       help="seconds per exercise (wall clock and CPU; default %(default)s)")
    grade.add_argument("--notebook-timeout", type=_positive(int), default=900,
                       help="seconds per notebook (default %(default)s)")
    grade.add_argument("--memory-gb", type=_positive(float), default=Limits().memory / 2**30,
                       help="address space of a learner's process (default %(default)s GB)")
    args = parser.parse_args(argv)

    if args.command == "release":
        for path in release_course():
            print(f"released {path}")
        return 0

    from qtlib.grading.classroom import GradeOptions, grade_class
    from qtlib.grading.pipeline import CourseDirs

    options = GradeOptions(jobs=args.jobs, notebook_seconds=args.notebook_timeout,
                           limits=Limits(memory=int(args.memory_gb * 2**30),
                                         cpu_seconds=args.timeout))
    dirs = CourseDirs()
    report = grade_class(args.submissions, dirs, args.csv, options)
    totals: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    with report.csv_path.open() as fh:
        for row in csv.DictReader(fh):
            t = totals[(row["student"], row["chapter"])]
            t[0] += float(row["score"])
            t[1] += float(row["max_score"])
    for (student, chapter), (score, max_score) in sorted(totals.items()):
        print(f"{student:20s} {chapter:32s} {score:g} / {max_score:g}")
    print(f"judged {len(report.judged)}, reused {len(report.reused)} verdicts, "
          f"{len(report.failed)} failed, in {report.seconds:g} s with {args.jobs} job(s)")
    print(f"grades:   {report.csv_path}")
    print(f"feedback: {dirs.work / 'feedback'}/<student>/<chapter>/<chapter>.html")
    if report.failed:
        print(f"the judge failed for {report.failed}: they score 0; re-run to retry them",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
