"""What the judge grades, read from the INSTRUCTOR's notebook, and the learner's answers.

An exercise ``<ex>`` of a chapter is an answer cell (grade id ``<ex>_answer``, nbgrader
``solution`` set, ``grade`` not set) followed by its test cells (``<ex>_test`` or
``<ex>_test_<k>``, ``grade`` set, with points). Test cells are always taken from the source
notebook (solutions/), never from a submission, so a learner who edits or deletes a test cell
changes nothing. From a submission only the answer cells' source is read.

The chapter contract: an answer cell runs after :data:`PRELUDE` and nothing else of the notebook
(it imports what else it needs itself); its test cells use the names it defines at top level.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

#: What every answer cell may use without importing it (the chapter contract).
PRELUDE = ("import math\n\nimport numpy as np\nimport pandas as pd\nimport torch\n"
           "from torch import nn\n")
_TEST_ID = re.compile(r"^(?P<ex>.+)_test(_\d+)?$")


@dataclass(frozen=True)
class TestCell:
    """One autograded test cell of the source notebook (visible and hidden parts)."""

    __test__ = False  # not a pytest class

    grade_id: str
    source: str
    points: float


@dataclass(frozen=True)
class Exercise:
    """One autograded exercise: its answer cell (source and ids) and its test cells."""

    name: str
    answer_id: str
    answer_cell_id: str | None
    answer_source: str
    names: tuple[str, ...]
    tests: tuple[TestCell, ...]


def _nbg(cell: Any) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def defined_names(source: str) -> tuple[str, ...]:
    """Top-level names an answer cell defines (def, class, assignment; not imports).

    ``### BEGIN SOLUTION`` markers are comments, so the source notebook's cell parses as is.
    """
    names: list[str] = []

    def add(target: ast.AST) -> None:
        if isinstance(target, ast.Name) and target.id not in names:
            names.append(target.id)
        elif isinstance(target, ast.Tuple | ast.List):
            for elt in target.elts:
                add(elt)

    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            add(ast.Name(id=node.name))
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                add(target)
        elif isinstance(node, ast.AnnAssign | ast.AugAssign):
            add(node.target)
    return tuple(names)


def read_exercises(source_notebook: Path) -> list[Exercise]:
    """The autograded exercises of an instructor notebook, in notebook order."""
    nb = nbformat.read(source_notebook, as_version=4)
    answers: dict[str, Any] = {}
    order: list[str] = []
    tests: dict[str, list[TestCell]] = {}
    for cell in nb.cells:
        meta = _nbg(cell)
        gid = meta.get("grade_id", "")
        if cell.cell_type != "code":
            continue
        if meta.get("solution") and not meta.get("grade") and gid.endswith("_answer"):
            name = gid[: -len("_answer")]
            answers[name] = cell
            order.append(name)
        elif meta.get("grade") and (m := _TEST_ID.match(gid)):
            tests.setdefault(m["ex"], []).append(
                TestCell(gid, cell.source, float(meta.get("points", 0))))
    out = []
    for name in order:
        cell = answers[name]
        if not tests.get(name):
            raise ValueError(f"{source_notebook}: exercise {name} has no {name}_test cell")
        out.append(Exercise(name, f"{name}_answer", cell.get("id"), cell.source,
                            defined_names(cell.source), tuple(tests[name])))
    return out


def answer_sources(submission: Path, exercises: list[Exercise]) -> dict[str, str | None]:
    """The learner's answer cell source for each exercise (None when it cannot be found).

    Found by the answer cell's grade id; if a learner damaged that metadata, by the cell id the
    release gave it. A notebook that is not valid JSON has no answers.
    """
    try:
        nb = nbformat.read(submission, as_version=4)
        cells = [c for c in nb.cells if c.get("cell_type") == "code"]
    except Exception:  # noqa: BLE001 -- any unreadable notebook earns nothing
        return {ex.name: None for ex in exercises}
    out: dict[str, str | None] = {}
    for ex in exercises:
        found = [c for c in cells if _nbg(c).get("grade_id") == ex.answer_id]
        if not found and ex.answer_cell_id:
            found = [c for c in cells if c.get("id") == ex.answer_cell_id]
        source = found[0].get("source") if found else None
        out[ex.name] = source if isinstance(source, str) else None
    return out


def normalized_submission(release_notebook: Path, submission: Path) -> Any:
    """The release notebook with the learner's answer cells in it: what nbgrader registers.

    Every solution cell of the release (code answers and written answers) takes the source of
    the learner's cell with the same grade id (else the same cell id); everything else is the
    release's own, so nbgrader never sees edited metadata, deleted cells or stored outputs.
    A submission that cannot be read leaves the release's stubs.
    """
    nb = nbformat.read(release_notebook, as_version=4)
    try:
        learner = nbformat.read(submission, as_version=4).cells
    except Exception:  # noqa: BLE001 -- an unreadable notebook answers nothing
        learner = []
    for cell in nb.cells:
        meta = _nbg(cell)
        if not meta.get("solution"):
            continue
        found = [c for c in learner if _nbg(c).get("grade_id") == meta.get("grade_id")
                 and c.get("cell_type") == cell.cell_type]
        if not found:
            found = [c for c in learner if c.get("id") == cell.get("id")
                     and c.get("cell_type") == cell.cell_type]
        if found and isinstance(found[0].get("source"), str):
            cell.source = found[0]["source"]
    return nb
