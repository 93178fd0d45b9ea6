"""ch00's model-size slider works in a real JupyterLab in headless Chromium."""

import shutil

import pytest
from browser_lab import (
    move_slider,
    open_notebook,
    run_all_cells,
    running_lab,
    screenshot,
    stderr_outputs,
    text_of,
)

from qtlib.lab import REPO_ROOT

CHAPTER = "ch00_getting_started"
EXPLORER = ".qt-model-size-explorer"


@pytest.mark.browser
def test_model_size_slider_updates_the_output(page, tmp_path):
    course = tmp_path / "course"
    shutil.copytree(REPO_ROOT / "solutions" / CHAPTER, course / CHAPTER)
    with running_lab(course) as lab:
        open_notebook(page, lab, f"{CHAPTER}/{CHAPTER}.ipynb")
        run_all_cells(page)
        page.wait_for_selector(f"{EXPLORER} .qt-model-size", timeout=60_000)
        assert stderr_outputs(page) == []
        before = text_of(page, f"{EXPLORER} .qt-model-size")
        assert "parameters takes" in before
        move_slider(page, EXPLORER, 0.9)
        page.wait_for_function(
            "([sel, old]) => document.querySelector(sel).innerText !== old",
            arg=[f"{EXPLORER} .qt-model-size", before], timeout=30_000)
        after = text_of(page, f"{EXPLORER} .qt-model-size")
        path = screenshot(page, f"{CHAPTER}_model_size")
    assert after != before and "parameters takes" in after
    assert path.stat().st_size > 10_000
