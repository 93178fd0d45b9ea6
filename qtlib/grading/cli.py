"""Instructor commands: ``python -m qtlib.grading.cli release`` and ``... grade SUBMISSIONS``.

``release`` regenerates chapters/ from solutions/ (what ``make release`` runs).
``grade SUBMISSIONS`` grades ``SUBMISSIONS/<student>/<chapter>/<chapter>.ipynb`` for every
student and chapter found (what ``make grade SUBMISSIONS=...`` runs) and writes
``build/nbgrader/grades.csv`` and ``build/nbgrader/feedback/<student>/<chapter>/<chapter>.html``.
"""

from __future__ import annotations

import argparse
import csv
from collections import defaultdict
from pathlib import Path

from qtlib.grading.pipeline import CourseDirs, grade_folder, release_course


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qtlib.grading.cli", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("release", help="regenerate chapters/ from solutions/")
    grade = sub.add_parser("grade", help="autograde a folder of submissions")
    grade.add_argument("submissions", type=Path,
                       help="folder of <student>/<chapter>/<chapter>.ipynb")
    grade.add_argument("--csv", type=Path, default=None,
                       help="where to write the grades (default build/nbgrader/grades.csv)")
    grade.add_argument("--timeout", type=int, default=None,
                       help="seconds per cell (default: nbgrader_config.py's Execute.timeout)")
    args = parser.parse_args(argv)

    if args.command == "release":
        for path in release_course():
            print(f"released {path}")
        return 0

    dirs = CourseDirs(cell_timeout=args.timeout)
    csv_path = grade_folder(args.submissions, dirs, args.csv)
    totals: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    with csv_path.open() as fh:
        for row in csv.DictReader(fh):
            t = totals[(row["student"], row["chapter"])]
            t[0] += float(row["score"])
            t[1] += float(row["max_score"])
    for (student, chapter), (score, max_score) in sorted(totals.items()):
        print(f"{student:20s} {chapter:32s} {score:g} / {max_score:g}")
    print(f"grades:   {csv_path}")
    print(f"feedback: {dirs.work / 'feedback'}/<student>/<chapter>/<chapter>.html")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
