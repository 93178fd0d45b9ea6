"""Every chapter's cells other than the exercises run top to bottom in a fresh kernel.

A learner's setup check (`make test`): each chapters/<chapter>/<chapter>.ipynb is executed in its
own folder with its answer cells and the exercises' test cells left out (they raise
NotImplementedError until the learner answers), so any other error means the environment or qtlib
is broken. A chapter takes up to about two minutes on two cores; a second run is faster because
qtlib caches its sweeps. QTLIB_NOTEBOOKS=ch00_getting_started,ch01_... runs only those chapters.
"""

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted(p for p in (ROOT / "chapters").glob("ch*/ch*.ipynb")
                  if not os.environ.get("QTLIB_NOTEBOOKS")
                  or p.parent.name in os.environ["QTLIB_NOTEBOOKS"].split(","))


def _is_exercise(cell) -> bool:
    nbg = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and bool(nbg.get("solution") or nbg.get("grade"))


def test_there_are_chapters():
    assert CHAPTERS, "chapters/ holds no notebooks"


@pytest.mark.timeout(600)
@pytest.mark.parametrize("notebook", CHAPTERS, ids=lambda p: p.parent.name)
def test_non_exercise_cells_run(notebook):
    nb = nbformat.read(notebook, as_version=4)
    skipped = [c for c in nb.cells if _is_exercise(c)]
    assert skipped, f"{notebook.name} has no exercise cells: is it a released chapter?"
    nb.cells = [c for c in nb.cells if not _is_exercise(c)]
    client = NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(notebook.parent)}})
    client.execute()  # raises CellExecutionError naming the cell that failed
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert errors == []
