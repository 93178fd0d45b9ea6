"""The grader is tested end to end, for every chapter in solutions/ (nbgrader 0.9.6).

Per chapter, ONE module-scoped run (`graded`) regenerates the release into a temporary folder and
grades several students' submissions with the instructor command (`grade_class`, two students
judged at once, then the gradebook, feedback and a CSV):

- ``source``: the instructor notebook itself, must earn full marks;
- ``release``: the blank student notebook, must earn zero;
- ``wrong<k>``: variant k of every exercise's wrong answers
  (tests/grading/wrong_answers/<chapter>/<exercise>__<what_is_wrong>.py replaces the
  ``<exercise>_answer`` cell), every targeted exercise must lose points;
- ``tamper<k>``: variant k of every exercise's tampering answers
  (tests/grading/tampering/<chapter>/<exercise>__<how>.py, same layout): each tampers with its
  own process (or reads files, or asks a server) and otherwise passes at most the visible
  asserts; every targeted exercise must earn nothing;
- ``robust``: the first exercise's answer allocates 20 GB, the second loops forever (if there
  is a second; in the first chapter only: the loop burns its whole CPU limit, and the judge's
  deadline does not depend on the chapter), the last exercise's answer cell lost its grade id,
  its first test cell is deleted and its other test cells are edited; the other exercises are
  the source's. The bomb and the loop cost their exercises only.

Then, once (on the first chapter: what they test is the grader, not a chapter): serial grading
gives the same rows as the parallel run, and a run killed midway resumes to the same CSV. Scores
are read through nbgrader's Gradebook API, never from exit codes.
"""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from loopback import serving

from qtlib.grading.classroom import GradeOptions, grade_class
from qtlib.grading.pipeline import (
    REPO_ROOT,
    CourseDirs,
    chapter_slugs,
    exercise_of,
    generate_release,
    scores,
)
from qtlib.grading.sandbox import Limits

SOLUTIONS = REPO_ROOT / "solutions"
CHAPTERS = REPO_ROOT / "chapters"
WRONG = Path(__file__).resolve().parent / "wrong_answers"
TAMPERING = Path(__file__).resolve().parent / "tampering"
ALL = chapter_slugs(SOLUTIONS)
EXERCISE_SECONDS = 60  # per exercise in these runs: bounds what the infinite loop costs
OPTIONS = GradeOptions(jobs=2, limits=Limits(cpu_seconds=EXERCISE_SECONDS))
BOMB = "x = bytearray(20 * 2**30)\ny = torch.empty(5 * 2**30)\n"
LOOP = "while True:\n    pass\n"
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


def wrong_answers(chapter: str, folder: Path = WRONG) -> dict[str, list[tuple[str, str]]]:
    """exercise -> sorted [(what_is_wrong, cell source)]"""
    out: dict[str, list[tuple[str, str]]] = {}
    for path in sorted((folder / chapter).glob("*__*.py")):
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


def _loop_exercise(chapter: str, names: list[str]) -> str | None:
    """The exercise whose answer loops forever in ``robust``: the second one, first chapter only."""
    return names[1] if chapter == ALL[0] and len(names) > 2 else None


def _robust_submission(source_nb, chapter: str):
    """20 GB in the first answer, maybe a loop in the second; the last exercise's cells tampered."""
    names = exercises(source_nb)
    loop = _loop_exercise(chapter, names)
    nb = _with_answers(source_nb, {names[0]: BOMB} | ({loop: LOOP} if loop else {}))
    for cell in nb.cells:
        if _nbg(cell).get("grade_id") == f"{names[-1]}_answer":
            cell.metadata["nbgrader"]["grade_id"] = "renamed_by_the_learner"
    tests = grade_cells_of(nb, names[-1])
    for cell in tests[1:]:
        cell.source = EDITED
    nb.cells = [c for c in nb.cells if c is not tests[0]]
    return nb


def _variants(chapter: str, folder: Path, prefix: str, source_nb, notebooks, targets) -> None:
    found = wrong_answers(chapter, folder)
    for k in range(max((len(v) for v in found.values()), default=0)):
        answers = {ex: v[k][1] for ex, v in found.items() if k < len(v)}
        targets[f"{prefix}{k + 1}"] = {ex: v[k][0] for ex, v in found.items() if k < len(v)}
        notebooks[f"{prefix}{k + 1}"] = _with_answers(source_nb, answers)


def _write_submissions(subs: Path, chapter: str, notebooks: dict, fill: dict[str, str]) -> None:
    for student, nb in notebooks.items():
        text = nbformat.writes(nb)
        for marker, value in fill.items():
            text = text.replace(marker, value)
        (subs / student / chapter).mkdir(parents=True, exist_ok=True)
        (subs / student / chapter / f"{chapter}.ipynb").write_text(text)


def _table(dirs: CourseDirs, chapter: str) -> dict[str, dict[str, tuple[float, float]]]:
    table: dict[str, dict[str, tuple[float, float]]] = {}
    for s in scores(dirs, chapter):
        table.setdefault(s.student, {})[s.cell] = (s.score, s.max_score)
    return table


def _csv_rows(path: Path) -> list[dict]:
    with path.open() as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module", params=ALL)
def graded(request, tmp_path_factory):
    """Release + grade every submission of one chapter; returns what the tests inspect."""
    chapter = request.param
    tmp = tmp_path_factory.mktemp(chapter)
    dirs = CourseDirs(source=SOLUTIONS, release=tmp / "release", work=tmp / "work")
    generate_release(dirs, [chapter])
    source_path = SOLUTIONS / chapter / f"{chapter}.ipynb"
    source_nb = _read(source_path)
    notebooks = {"source": source_nb,
                 "release": _read(dirs.release / chapter / f"{chapter}.ipynb")}
    targets: dict[str, dict[str, str]] = {}
    _variants(chapter, WRONG, "wrong", source_nb, notebooks, targets)
    tampering: dict[str, dict[str, str]] = {}
    _variants(chapter, TAMPERING, "tamper", source_nb, notebooks, tampering)
    notebooks["robust"] = _robust_submission(source_nb, chapter)
    subs = tmp / "submissions"
    before = source_path.read_bytes()
    with serving(before) as port:
        _write_submissions(subs, chapter, notebooks, {
            "@@SOLUTIONS@@": str(SOLUTIONS), "@@SUBMISSIONS@@": str(subs),
            "@@WORK@@": str(dirs.work), "@@PORT@@": str(port)})
        report = grade_class(subs, dirs, options=OPTIONS)
    assert source_path.read_bytes() == before, "grading changed the source notebook"
    verdicts = {st: json.loads((dirs.work / "verdicts" / chapter / f"{st}.json").read_text())
                for st in notebooks}
    return {"chapter": chapter, "dirs": dirs, "source": source_nb, "scores": _table(dirs, chapter),
            "targets": targets, "tampering": tampering, "csv": report.csv_path,
            "report": report, "students": list(notebooks), "subs": subs, "verdicts": verdicts}


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

@pytest.mark.parametrize("chapter", ALL)
def test_test_cells_pass_in_a_learners_kernel_too(chapter):
    """The judge runs test cells against proxies; a learner's kernel runs them on the real
    answer. Each exercise's source answer (after the prelude) passes its test cells there too,
    with nothing on stderr (nbgrader's Validate scores a cell that writes to stderr 0)."""
    import contextlib
    import io
    import warnings

    from qtlib.grading.exercises import PRELUDE, read_exercises
    from qtlib.grading.probes import runner

    for ex in read_exercises(SOLUTIONS / chapter / f"{chapter}.ipynb"):
        namespace: dict = {"__name__": "__main__"}

        def probe_here(source: str, args: dict, namespace: dict = namespace):
            scope: dict = {"__name__": "__probe__"}  # probes see the answer's namespace
            exec(compile(source, "<probe>", "exec"), scope)
            return scope["probe"](namespace, **args)

        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr), warnings.catch_warnings(), runner(probe_here):
            warnings.simplefilter("error")
            exec(PRELUDE + ex.answer_source, namespace)
            for test in ex.tests:
                exec(compile(test.source, test.grade_id, "exec"), namespace)
        assert stderr.getvalue() == "", f"{ex.name} writes to stderr: {stderr.getvalue()[:300]}"


def _exercise_score(table: dict, nb, exercise: str) -> tuple[float, float]:
    ids = [_nbg(c)["grade_id"] for c in grade_cells_of(nb, exercise)]
    return sum(table[i][0] for i in ids), sum(table[i][1] for i in ids)


def test_at_most_one_manually_graded_answer(graded):
    manual = manually_graded(graded["source"])
    assert len(manual) <= 1, f"{graded['chapter']}: at most one written answer, found {manual}"
    for grade_id in manual:
        assert graded["scores"]["source"][grade_id][1] > 0, f"{grade_id} carries no points"


def test_source_earns_full_marks(graded):
    manual = manually_graded(graded["source"])
    cells = {c: v for c, v in graded["scores"]["source"].items() if c not in manual}
    assert cells, "no autograded cells were recorded for the source"
    messages = {c: v["message"] for c, v in graded["verdicts"]["source"]["cells"].items()
                if v["message"]}
    assert {c: s for c, (s, m) in cells.items() if s != m} == {}, messages
    assert graded["report"].failed == []


def test_release_earns_zero(graded):
    cells = graded["scores"]["release"]
    assert cells and {c: s for c, (s, _) in cells.items() if s != 0} == {}


def test_every_exercise_has_tests_a_wrong_answer_and_a_tampering_answer(graded):
    nb, chapter = graded["source"], graded["chapter"]
    names = exercises(nb)
    assert names, f"{chapter} has no exercise (answer cells with grade id <ex>_answer)"
    for ex in names:
        assert grade_cells_of(nb, ex), f"{chapter}: exercise {ex} has no {ex}_test cell"
    for folder in (WRONG, TAMPERING):
        found = wrong_answers(chapter, folder)
        assert set(found) - set(names) == set(), f"{folder.name} for exercises that do not exist"
        assert sorted(set(names) - set(found)) == [], (
            f"add tests/grading/{folder.name}/{chapter}/<exercise>__<what>.py")


def test_wrong_answers_lose_points(graded):
    nb, table = graded["source"], graded["scores"]
    assert graded["targets"], "no wrong answers were graded"
    full = []
    for student, targets in graded["targets"].items():
        for ex, what in targets.items():
            got, best = _exercise_score(table[student], nb, ex)
            if got >= best:
                full.append(f"{ex}__{what} scored {got}/{best}")
    assert full == [], "these wrong answers earn full marks; strengthen the tests"


def test_tampering_earns_nothing_for_the_tampered_exercise(graded):
    nb, table = graded["source"], graded["scores"]
    assert graded["tampering"], "no tampering answers were graded"
    paid = []
    for student, targets in graded["tampering"].items():
        for ex, how in targets.items():
            got, best = _exercise_score(table[student], nb, ex)
            if got > 0:
                paid.append(f"{ex}__{how} scored {got}/{best}")
    assert paid == [], "these tampering answers earn points"


def test_tampering_does_not_change_the_other_exercises(graded):
    """A tampering answer's effects stay in its own worker: untouched exercises keep full marks."""
    nb, table = graded["source"], graded["scores"]
    for student, targets in graded["tampering"].items():
        for ex in exercises(nb):
            if ex not in targets:
                got, best = _exercise_score(table[student], nb, ex)
                assert got == best, f"{student}: {ex} lost points to another exercise's answer"


def test_a_memory_bomb_and_a_loop_cost_only_their_exercise(graded):
    nb, table = graded["source"], graded["scores"]["robust"]
    names = exercises(nb)
    cells = graded["verdicts"]["robust"]["cells"]
    bomb = [_nbg(c)["grade_id"] for c in grade_cells_of(nb, names[0])]
    assert all(table[i][0] == 0 for i in bomb)
    assert all("ran out of memory" in cells[i]["message"] for i in bomb), cells[bomb[0]]
    loop = _loop_exercise(graded["chapter"], names)
    if loop:
        loop_ids = [_nbg(c)["grade_id"] for c in grade_cells_of(nb, loop)]
        assert all(table[i][0] == 0 for i in loop_ids)
        assert all("took longer than" in cells[i]["message"] for i in loop_ids)
    for ex in names[1 if loop is None else 2:]:
        got, best = _exercise_score(table, nb, ex)
        assert got == best, f"{ex} lost points: {[cells[i]['message'] for i in cells]}"


def test_deleted_and_edited_test_cells_and_renamed_answers_change_nothing(graded):
    """The last exercise of ``robust`` has the source's answer under a renamed grade id, its
    first test cell deleted and the others edited: the judge uses the source's test cells."""
    nb, table = graded["source"], graded["scores"]["robust"]
    last = exercises(nb)[-1]
    got, best = _exercise_score(table, nb, last)
    assert best > 0 and got == best


def test_csv_and_feedback_match_the_gradebook_and_reveal_no_test(graded):
    chapter, dirs = graded["chapter"], graded["dirs"]
    rows = _csv_rows(graded["csv"])
    from_csv = {(r["student"], r["cell"]): (float(r["score"]), float(r["max_score"]))
                for r in rows if r["chapter"] == chapter}
    from_db = {(st, c): v for st, cells in graded["scores"].items() for c, v in cells.items()}
    assert from_csv == from_db
    assert len(rows) == len(from_csv), "the CSV holds a row twice"
    assert all(r["exercise"] == exercise_of(r["cell"]) for r in rows)
    hidden: set[str] = set()
    for cell in graded["source"].cells:
        inside, outside = _region_lines(cell.source)
        hidden |= {line for line in inside - outside if len(line) >= 20}
    for student in graded["students"]:
        page = (dirs.work / "feedback" / student / chapter / f"{chapter}.html").read_text()
        assert "Score" in page
        for verdict_cell in graded["verdicts"][student]["cells"].values():
            message = verdict_cell["message"] or ""
            assert message.count(". ") <= 3 and len(message) <= 400, message
            assert not any(line in message for line in hidden), message


# --- parallel, serial, resumed --------------------------------------------------------------------

def _rows_of(rows: list[dict], students: set[str]) -> list[dict]:
    return sorted((r for r in rows if r["student"] in students),
                  key=lambda r: (r["student"], r["cell"]))


def test_serial_grading_gives_the_rows_of_the_parallel_run(graded, tmp_path):
    chapter = graded["chapter"]
    if chapter != ALL[0]:
        pytest.skip(f"the serial run is compared once, on {ALL[0]}")
    some = {"source", "wrong1"}
    subs = tmp_path / "subs"
    for student in some:
        (subs / student / chapter).mkdir(parents=True)
        (subs / student / chapter / f"{chapter}.ipynb").write_bytes(
            (graded["subs"] / student / chapter / f"{chapter}.ipynb").read_bytes())
    dirs = CourseDirs(source=SOLUTIONS, release=tmp_path / "release", work=tmp_path / "work")
    serial = grade_class(subs, dirs, options=GradeOptions(jobs=1, limits=OPTIONS.limits))
    assert _csv_rows(serial.csv_path) == _rows_of(_csv_rows(graded["csv"]), some)


RUNNER = """
import sys
from pathlib import Path
from qtlib.grading.classroom import GradeOptions, grade_class
from qtlib.grading.pipeline import CourseDirs
from qtlib.grading.sandbox import Limits
dirs = CourseDirs(source=Path(sys.argv[1]), release=Path(sys.argv[2]), work=Path(sys.argv[3]))
grade_class(Path(sys.argv[4]), dirs, options=GradeOptions(
    jobs=2, limits=Limits(cpu_seconds=int(sys.argv[5]))))
"""


def test_a_run_killed_midway_resumes_to_the_same_csv(graded, tmp_path):
    chapter = graded["chapter"]
    if chapter != ALL[0]:
        pytest.skip(f"the resume test runs once, on {ALL[0]}")
    some = {"source", "release", "wrong1", "wrong2"}
    subs = tmp_path / "subs"
    for student in some:
        (subs / student / chapter).mkdir(parents=True)
        (subs / student / chapter / f"{chapter}.ipynb").write_bytes(
            (graded["subs"] / student / chapter / f"{chapter}.ipynb").read_bytes())
    dirs = CourseDirs(source=SOLUTIONS, release=tmp_path / "release", work=tmp_path / "work")
    verdicts = dirs.work / "verdicts" / chapter
    run = subprocess.Popen([sys.executable, "-c", RUNNER, str(SOLUTIONS), str(dirs.release),
                            str(dirs.work), str(subs), str(EXERCISE_SECONDS)],
                           start_new_session=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    while not list(verdicts.glob("*.json")) and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(run.pid, signal.SIGKILL)  # the run and the judges still at work
    run.wait()
    done = {p.stem for p in verdicts.glob("*.json")}
    assert 1 <= len(done) < len(some), f"the kill came too late or too early: {done}"
    report = grade_class(subs, dirs, options=OPTIONS)
    assert {st for _, st in report.reused} == done
    assert {st for _, st in report.judged} == some - done
    rows = _csv_rows(report.csv_path)
    assert len({(r["student"], r["cell"]) for r in rows}) == len(rows), "a row is doubled"
    assert rows == _rows_of(_csv_rows(graded["csv"]), some)
