"""ch06's QAT explorer works in a real JupyterLab in headless Chromium.

The notebook here builds the explorer from a small synthetic sweep table (the chapter's notebook
trains and caches the real one); the widget and callback code are the chapter's.
"""

import pytest
from browser_lab import (
    explorer_course,
    open_notebook,
    run_all_cells,
    running_lab,
    screenshot,
    stderr_outputs,
)

EXPLORER = ".qt-qat-explorer"
RESULT = f"{EXPLORER} .qt-qat-result"
PLOT = f"{EXPLORER} img"
CHANGED = "([sel, old]) => document.querySelector(sel) && document.querySelector(sel).{} !== old"

SETUP = '''
import pandas as pd
from qtlib.widgets.qat_explorer import qat_widget

rows = []
for i, setting in enumerate(("W8A8", "W3A4")):
    for method, acc in (("ptq", 0.97 - 0.08 * i), ("qat", 0.97 - 0.02 * i),
                        ("lsq", 0.965 - 0.015 * i)):
        steps = 0 if method == "ptq" else 40
        rows.append({"setting": setting, "method": method, "accuracy": acc, "agreement": 0.997,
                     "train_s": 12.0 if steps else 0.0, "steps": steps,
                     "losses": [1.0 / (k + 1) for k in range(steps)]})
qat_widget(pd.DataFrame(rows), 0.975, setting="W3A4")
'''


@pytest.mark.browser
def test_qat_explorer_follows_its_controls(page, tmp_path):
    course = explorer_course(tmp_path, SETUP)
    with running_lab(course) as lab:
        open_notebook(page, lab, "explorer.ipynb")
        run_all_cells(page)
        page.wait_for_selector(RESULT, timeout=60_000)
        page.wait_for_selector(PLOT, timeout=30_000)
        assert stderr_outputs(page) == []
        first = page.locator(RESULT).inner_text()
        plot_first = page.locator(PLOT).get_attribute("src")
        page.locator(f"{EXPLORER} select").nth(1).select_option(label="post-training (no training)")
        page.wait_for_function(CHANGED.format("innerText"), arg=[RESULT, first], timeout=30_000)
        ptq = page.locator(RESULT).inner_text()
        page.locator(f"{EXPLORER} select").first.select_option(label="W8A8")
        page.wait_for_function(CHANGED.format("innerText"), arg=[RESULT, ptq], timeout=30_000)
        page.wait_for_function(CHANGED.format("src"), arg=[PLOT, plot_first], timeout=30_000)
        w8 = page.locator(RESULT).inner_text()
        path = screenshot(page, "ch06_qat_explorer")
        assert stderr_outputs(page) == []
    assert first.startswith("W3A4, QAT, min-max scales: test accuracy 95.0%")
    assert ptq.startswith("W3A4, post-training") and "89.0%" in ptq
    assert w8.startswith("W8A8, post-training") and "97.0%" in w8
    assert path.stat().st_size > 10_000
