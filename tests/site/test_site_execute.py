"""Every solution notebook runs top to bottom; the executed copy is cached and keyed right."""

from __future__ import annotations

import re
import time

import nbformat
import pytest

from coursesite import execute

# executed_notebooks runs every chapter on a cold cache (minutes each on 2 cores)
SESSION_TIMEOUT = pytest.mark.timeout(3600)


@SESSION_TIMEOUT
def test_every_solution_notebook_runs_top_to_bottom(executed_notebooks):
    chapters = {p.parent.name for p in execute.solution_notebooks()}
    assert set(executed_notebooks) == chapters and chapters
    for name, nb in executed_notebooks.items():
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert all(c.execution_count for c in code), f"{name}: a code cell did not run"
        errors = [c.id for c in code for o in c.outputs if o.output_type == "error"]
        assert errors == [], f"{name}: cells {errors} raised"


@SESSION_TIMEOUT
def test_no_graded_test_cell_writes_to_stderr(executed_notebooks):
    for name, nb in executed_notebooks.items():
        noisy = [c.id for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")
                 and c.cell_type == "code"
                 and any(o.get("name") == "stderr" for o in c.outputs)]
        assert noisy == [], f"{name}: test cells {noisy} write to stderr (that scores 0)"


#: a figure that showed as its repr: the notebook displays a pyplot-free Figure in a kernel where
#: no backend registered a PNG formatter (no `%matplotlib inline`, no pyplot import)
BARE_FIGURE = re.compile(r"^<Figure size [\d.]+x[\d.]+ with \d+ Axes>$")
@SESSION_TIMEOUT
@pytest.mark.parametrize("chapter", [p.parent.name for p in execute.solution_notebooks()])
def test_figures_show_as_images_not_as_their_repr(executed_notebooks, chapter):
    bare = [c.id for c in executed_notebooks[chapter].cells if c.cell_type == "code"
            for o in c.outputs if BARE_FIGURE.match(str(o.get("data", {}).get("text/plain", "")))
            and not any(k.startswith("image/") for k in o.get("data", {}))]
    assert bare == [], (f"{chapter}: cells {bare} show a figure as text; qtlib.plots "
                        "registers a PNG display for figures: does the cell import it?")


def _notebook(tmp_path, *sources):
    path = tmp_path / "nb" / "nb.ipynb"
    path.parent.mkdir(exist_ok=True)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.mark.timeout(300)
def test_the_cache_is_read_back_and_keyed_by_notebook_and_sources(tmp_path, monkeypatch):
    monkeypatch.setattr(execute, "EXECUTED", tmp_path / "executed")
    path = _notebook(tmp_path, "import os\nprint(os.environ['OMP_NUM_THREADS'])")
    first = execute.executed(path, "digest-a", log=lambda m: None)
    assert first.cells[0].outputs[0]["text"].strip() == "2", "the kernel runs with 2 threads"
    start = time.perf_counter()
    again = execute.executed(path, "digest-a", log=lambda m: None)
    assert time.perf_counter() - start < 2.0 and again.cells == first.cells
    assert execute.cache_path(path, "digest-b") != execute.cache_path(path, "digest-a")
    key = execute.cache_path(path, "digest-a")
    _notebook(tmp_path, "print('changed')")
    assert execute.cache_path(path, "digest-a") != key, "editing the notebook re-executes it"
    assert execute.source_digest() == execute.source_digest()


@pytest.mark.timeout(300)
def test_a_failing_notebook_names_its_cell_and_error(tmp_path, monkeypatch):
    monkeypatch.setattr(execute, "EXECUTED", tmp_path / "executed")
    path = _notebook(tmp_path, "x = 1", "raise ValueError('the planted failure')")
    with pytest.raises(execute.NotebookFailed) as info:
        execute.executed(path, "digest", log=lambda m: None)
    message = str(info.value)
    assert "cell 1" in message and "the planted failure" in message
    assert "raise ValueError" in message, "the failing cell's source is shown"
    assert not list((tmp_path / "executed").glob("*.ipynb")), "a failed run is not cached"
