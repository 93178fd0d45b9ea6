"""The grader is tested end to end, for every chapter in solutions/ (nbgrader 0.9.6).

Per chapter, ONE module-scoped run (`graded`) regenerates the release into a temporary folder and
grades several students' submissions with the instructor command (`grade_folder`: one
`nbgrader autograde` run for all of them, then feedback and a CSV):

- ``source``: the instructor notebook itself, must earn full marks with no error output;
- ``release``: the blank student notebook, must earn zero;
- ``wrong<k>``: variant k of every exercise's wrong answers
  (tests/grading/wrong_answers/<chapter>/<exercise>__<what_is_wrong>.py replaces the
  ``<exercise>_answer`` cell), every targeted exercise must lose points;
- ``robust`` (ch00 only, small cell timeout): an infinite loop in the first exercise's answer,
  the last exercise's first test cell deleted and its other test cells edited.

Scores are read through nbgrader's Gradebook API, never from exit codes.
"""

from __future__ import annotations

import csv
import json
import os
import re
from pathlib import Path

import nbformat
import pytest

from qtlib.grading.pipeline import (
    REPO_ROOT,
    CourseDirs,
    chapter_slugs,
    exercise_of,
    generate_release,
    grade_folder,
    scores,
)

SOLUTIONS = REPO_ROOT / "solutions"
CHAPTERS = REPO_ROOT / "chapters"
WRONG = Path(__file__).resolve().parent / "wrong_answers"
ALL = chapter_slugs(SOLUTIONS)
ROBUST_CHAPTER = "ch00_getting_started"
ROBUST_TIMEOUT = 40  # seconds per cell in the ch00 run: bounds what the infinite loop costs
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
EDITED = 'raise AssertionError("this test cell was edited by the learner")'


def _read(path: Path):
    return nbformat.read(path, as_version=4)


def _nbg(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def exercises(nb) -> list[str]:
    """Autograded exercise names, in notebook order, from the answer cells' grade ids.

    An answer cell that is itself graded (grade and solution set) is a manually graded written
    answer: it has no test cell and scores nothing until an instructor grades it.
    """
    return [exercise_of(_nbg(c)["grade_id"]) for c in nb.cells
            if _nbg(c).get("solution") and not _nbg(c).get("grade")
            and _nbg(c).get("grade_id", "").endswith("_answer")]


def manually_graded(nb) -> set[str]:
    """Grade ids of the manually graded answers (cells with both grade and solution set)."""
    return {_nbg(c)["grade_id"] for c in nb.cells
            if _nbg(c).get("grade") and _nbg(c).get("solution")}


def grade_cells_of(nb, exercise: str) -> list:
    pattern = re.compile(rf"^{re.escape(exercise)}_test(_\d+)?$")
    return [c for c in nb.cells if _nbg(c).get("grade") and pattern.match(_nbg(c)["grade_id"])]


def wrong_answers(chapter: str) -> dict[str, list[tuple[str, str]]]:
    """exercise -> sorted [(what_is_wrong, cell source)]"""
    out: dict[str, list[tuple[str, str]]] = {}
    for path in sorted((WRONG / chapter).glob("*__*.py")):
        exercise, what = path.stem.split("__", 1)
        out.setdefault(exercise, []).append((what, path.read_text()))
    return out


def _with_answers(nb, answers: dict[str, str]):
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    for cell in nb.cells:
        gid = _nbg(cell).get("grade_id", "")
        if gid.endswith("_answer") and exercise_of(gid) in answers:
            cell.source = answers[exercise_of(gid)]
    return nb


def _robust_submission(source_nb):
    """Infinite loop in the first answer; last exercise: first test deleted, others edited."""
    names = exercises(source_nb)
    nb = _with_answers(source_nb, {names[0]: "while True:\n    pass\n"})
    tests = grade_cells_of(nb, names[-1])
    for cell in tests[1:]:
        cell.source = EDITED
    nb.cells = [c for c in nb.cells if c is not tests[0]]
    return nb


@pytest.fixture(scope="module", params=ALL)
def graded(request, tmp_path_factory):
    """Release + grade every submission of one chapter; returns what the tests inspect."""
    chapter = request.param
    tmp = tmp_path_factory.mktemp(chapter)
    cache = REPO_ROOT / "build" / "test-cache"
    mp = pytest.MonkeyPatch()
    mp.setenv("QTLIB_CACHE_DIR", os.environ.get("QTLIB_CACHE_DIR", str(cache)))
    robust = chapter == ROBUST_CHAPTER
    dirs = CourseDirs(source=SOLUTIONS, release=tmp / "release", work=tmp / "work",
                      cell_timeout=ROBUST_TIMEOUT if robust else None)
    try:
        generate_release(dirs, [chapter])
        source_path = SOLUTIONS / chapter / f"{chapter}.ipynb"
        source_nb = _read(source_path)
        notebooks = {"source": source_nb,
                     "release": _read(dirs.release / chapter / f"{chapter}.ipynb")}
        wrong = wrong_answers(chapter)
        variants = max((len(v) for v in wrong.values()), default=0)
        targets: dict[str, dict[str, str]] = {}
        for k in range(variants):
            answers = {ex: v[k][1] for ex, v in wrong.items() if k < len(v)}
            targets[f"wrong{k + 1}"] = {ex: v[k][0] for ex, v in wrong.items() if k < len(v)}
            notebooks[f"wrong{k + 1}"] = _with_answers(source_nb, answers)
        if robust:
            notebooks["robust"] = _robust_submission(source_nb)
        subs = tmp / "submissions"
        for student, nb in notebooks.items():
            (subs / student / chapter).mkdir(parents=True)
            nbformat.write(nb, subs / student / chapter / f"{chapter}.ipynb")
        csv_path = grade_folder(subs, dirs)
        table: dict[str, dict[str, tuple[float, float]]] = {}
        for s in scores(dirs, chapter):
            table.setdefault(s.student, {})[s.cell] = (s.score, s.max_score)
        autograded = {student: _read(dirs.work / "autograded" / student / chapter
                                     / f"{chapter}.ipynb") for student in notebooks}
    finally:
        mp.undo()
    return {"chapter": chapter, "dirs": dirs, "source": source_nb, "scores": table,
            "autograded": autograded, "targets": targets, "csv": csv_path,
            "students": list(notebooks)}


# --- the release ---------------------------------------------------------------------------------

def test_every_chapter_has_a_release_and_no_release_lacks_a_source():
    released = sorted(p.name for p in CHAPTERS.iterdir() if p.is_dir()) if CHAPTERS.is_dir() else []
    assert ALL, "solutions/ holds no chapter"
    assert released == ALL, "run `make release`: chapters/ and solutions/ list different chapters"


def test_release_equals_a_fresh_generation(graded):
    chapter = graded["chapter"]
    fresh_dir, committed_dir = graded["dirs"].release / chapter, CHAPTERS / chapter
    fresh = sorted(p.relative_to(fresh_dir) for p in fresh_dir.rglob("*") if p.is_file())
    committed = sorted(p.relative_to(committed_dir) for p in committed_dir.rglob("*")
                       if p.is_file())
    assert committed == fresh, "run `make release`: the released files differ"
    for rel in fresh:
        a, b = fresh_dir / rel, committed_dir / rel
        if rel.suffix == ".ipynb":
            assert json.loads(b.read_text()) == json.loads(a.read_text()), (
                f"{committed_dir / rel} is not what `make release` generates; run it")
        else:
            assert b.read_bytes() == a.read_bytes(), f"{rel} differs; run `make release`"


@pytest.mark.parametrize("folder", [SOLUTIONS, CHAPTERS], ids=["solutions", "chapters"])
@pytest.mark.parametrize("chapter", ALL)
def test_notebooks_have_no_outputs(folder, chapter):
    for path in (folder / chapter).rglob("*.ipynb"):
        for cell in _read(path).cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, (
                    f"{path}: cell {cell.get('id')} has outputs; strip them (nbstripout)")


def _region_lines(source: str) -> tuple[set[str], set[str]]:
    """(lines inside solution/hidden-test regions, lines outside them), stripped."""
    inside, outside, depth = set(), set(), False
    for line in source.splitlines():
        s = line.strip()
        if "BEGIN SOLUTION" in s or "BEGIN HIDDEN TESTS" in s:
            depth = True
        elif "END SOLUTION" in s or "END HIDDEN TESTS" in s:
            depth = False
        elif s:
            (inside if depth else outside).add(s)
    return inside, outside


@pytest.mark.parametrize("chapter", ALL)
def test_no_solution_or_hidden_test_text_in_the_release(chapter):
    secret, visible = set(), set()
    for cell in _read(SOLUTIONS / chapter / f"{chapter}.ipynb").cells:
        inside, outside = _region_lines(cell.source)
        secret |= inside
        visible |= outside
    secret -= visible
    assert secret, f"{chapter} has no solution or hidden-test region"
    for path in (CHAPTERS / chapter).rglob("*"):
        if not path.is_file():
            continue
        text = path.read_text(errors="replace")
        for marker in MARKERS:
            assert marker not in text, f"{path} contains {marker!r}"
        lines = {line.strip() for line in "".join(
            c.source + "\n" for c in _read(path).cells).splitlines()} \
            if path.suffix == ".ipynb" else {line.strip() for line in text.splitlines()}
        # a secret line counts when it is specific enough (not "return lower" or "import torch")
        leaked = sorted(s for s in secret if len(s) >= 20 and s in lines)
        assert leaked == [], f"{path} shows solution or hidden-test lines: {leaked[:3]}"


# --- grading -------------------------------------------------------------------------------------

def test_at_most_one_manually_graded_answer(graded):
    manual = manually_graded(graded["source"])
    assert len(manual) <= 1, f"{graded['chapter']}: at most one written answer, found {manual}"
    for grade_id in manual:
        assert graded["scores"]["source"][grade_id][1] > 0, f"{grade_id} carries no points"


def test_source_earns_full_marks_without_errors(graded):
    manual = manually_graded(graded["source"])
    cells = {c: v for c, v in graded["scores"]["source"].items() if c not in manual}
    assert cells, "no autograded cells were recorded for the source"
    assert {c: s for c, (s, m) in cells.items() if s != m} == {}
    for cell in graded["autograded"]["source"].cells:
        for out in cell.get("outputs", []):
            assert out.output_type != "error", f"cell {cell.id}: {out.ename}: {out.evalue}"
            assert not (out.output_type == "stream" and out.name == "stderr"), (
                f"cell {cell.id} writes to stderr (scores 0 in a test cell): {out.text[:300]}")


def test_release_earns_zero(graded):
    cells = graded["scores"]["release"]
    assert cells and {c: s for c, (s, _) in cells.items() if s != 0} == {}


def test_every_exercise_has_tests_and_a_wrong_answer(graded):
    nb, chapter = graded["source"], graded["chapter"]
    names = exercises(nb)
    assert names, f"{chapter} has no exercise (answer cells with grade id <ex>_answer)"
    for ex in names:
        assert grade_cells_of(nb, ex), f"{chapter}: exercise {ex} has no {ex}_test cell"
    wrong = wrong_answers(chapter)
    assert set(wrong) - set(names) == set(), "wrong answers for exercises that do not exist"
    assert sorted(set(names) - set(wrong)) == [], (
        f"add tests/grading/wrong_answers/{chapter}/<exercise>__<what_is_wrong>.py")


def test_wrong_answers_lose_points(graded):
    nb, table = graded["source"], graded["scores"]
    assert graded["targets"], "no wrong answers were graded"
    full = []
    for student, targets in graded["targets"].items():
        for ex, what in targets.items():
            ids = [_nbg(c)["grade_id"] for c in grade_cells_of(nb, ex)]
            got = sum(table[student][i][0] for i in ids)
            best = sum(table[student][i][1] for i in ids)
            if got >= best:
                full.append(f"{ex}__{what} scored {got}/{best}")
    assert full == [], "these wrong answers earn full marks; strengthen the tests"


def test_csv_and_feedback_match_the_gradebook(graded):
    chapter, dirs = graded["chapter"], graded["dirs"]
    with graded["csv"].open() as fh:
        rows = list(csv.DictReader(fh))
    from_csv = {(r["student"], r["cell"]): (float(r["score"]), float(r["max_score"]))
                for r in rows if r["chapter"] == chapter}
    from_db = {(st, c): v for st, cells in graded["scores"].items() for c, v in cells.items()}
    assert from_csv == from_db
    assert all(r["exercise"] == exercise_of(r["cell"]) for r in rows)
    for student in graded["students"]:
        html = dirs.work / "feedback" / student / chapter / f"{chapter}.html"
        assert html.is_file() and "Score" in html.read_text()


# --- a learner who breaks things (ch00) ---------------------------------------------------------

@pytest.fixture(scope="module")
def robust(graded):
    if graded["chapter"] != ROBUST_CHAPTER:
        pytest.skip(f"the robustness submission is graded for {ROBUST_CHAPTER} only")
    return graded


def test_infinite_loop_costs_that_exercise_and_the_run_goes_on(robust):
    nb, table = robust["source"], robust["scores"]["robust"]
    names = exercises(nb)
    first = [_nbg(c)["grade_id"] for c in grade_cells_of(nb, names[0])]
    assert all(table[i][0] == 0 for i in first)
    out = robust["autograded"]["robust"]
    loop = next(c for c in out.cells if _nbg(c).get("grade_id") == f"{names[0]}_answer")
    errors = [o for o in loop.outputs if o.output_type == "error"]
    assert errors and errors[0].ename in ("KeyboardInterrupt", "CellTimeoutError"), (
        "the looping cell should have been interrupted")
    later = [c for c in out.cells[out.cells.index(loop) + 1:] if c.cell_type == "code"]
    assert later and all(c.execution_count is not None for c in later), (
        "cells after the interrupted one must still run")
    # the kernel was interrupted, not restarted: the first cell's import is still there
    assert any(o.output_type != "error" for c in later for o in c.outputs)


def test_deleted_and_edited_test_cells_are_restored(robust):
    nb, table = robust["source"], robust["scores"]["robust"]
    last = exercises(nb)[-1]
    originals = {_nbg(c)["grade_id"]: c.source for c in grade_cells_of(nb, last)}
    assert len(originals) >= 1
    restored = {_nbg(c)["grade_id"]: c.source for c in robust["autograded"]["robust"].cells
                if _nbg(c).get("grade_id") in originals}
    assert set(restored) == set(originals), "a deleted test cell was not added back"
    for gid, src in originals.items():
        assert src in restored[gid] and EDITED not in restored[gid]
        assert table[gid][0] == table[gid][1], f"{gid}: the restored original test should pass"
