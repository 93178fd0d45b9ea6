"""The chapter contract's checks that hold for every chapter in solutions/ (docs/ARCHITECTURE.md).

Each chapter's own facts (numbers its prose states) stay in tests/chapters/chNN/.
"""

import re
from pathlib import Path

import nbformat
import pytest

SOLUTIONS = Path(__file__).resolve().parents[2] / "solutions"
CHAPTERS = sorted(p.name for p in SOLUTIONS.iterdir() if (p / f"{p.name}.ipynb").is_file())


def notebook(chapter: str):
    return nbformat.read(SOLUTIONS / chapter / f"{chapter}.ipynb", as_version=4)


def grade_meta(nb) -> list[dict]:
    return [c.metadata["nbgrader"] for c in nb.cells if "nbgrader" in c.metadata]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_exercise_headings_state_what_the_exercise_is_worth(chapter):
    nb = notebook(chapter)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    meta = grade_meta(nb)
    answers = [m["grade_id"][: -len("_answer")] for m in meta
               if m.get("grade_id", "").endswith("_answer")]
    assert answers and len(set(answers)) == len(answers), chapter
    assert sum(1 for m in meta if m.get("grade") and m.get("solution")) <= 1, \
        f"{chapter}: at most one manually graded answer"
    for ex in answers:
        points = sum(m.get("points", 0) for m in meta if m.get("grade") and (
            m["grade_id"].startswith(f"{ex}_test") or m["grade_id"] == f"{ex}_answer"))
        number = ex.split("_")[0][2:]
        heading = re.search(rf"Exercise {number} \((\d+) points?", text)
        assert heading and int(heading.group(1)) == points, f"{chapter} {ex}: {points} points"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_test_cell_seeds_asserts_visibly_and_hints_in_hidden_checks(chapter):
    cells = [c for c in notebook(chapter).cells
             if c.metadata.get("nbgrader", {}).get("grade")
             and not c.metadata["nbgrader"].get("solution")]
    assert cells, f"{chapter} has no test cells"
    for cell in cells:
        gid = cell.metadata["nbgrader"]["grade_id"]
        visible, _, hidden = cell.source.partition("### BEGIN HIDDEN TESTS")
        assert "torch.manual_seed(" in visible, f"{chapter} {gid}: seed it"
        assert re.search(r"^assert ", visible, re.M), f"{chapter} {gid}: a visible assert"
        assert hidden and "hint=" in hidden and "name=" in hidden, \
            f"{chapter} {gid}: hidden checks that name the value and give a hint"
