"""ch06's QAT explorer works in a real JupyterLab in headless Chromium.

The notebook here builds the explorer from the sweep recorded in the package, as the chapter does;
the widget and callback code are the chapter's.
"""

import pytest
from browser_lab import (
    explorer_in_lab,
    screenshot,
    stderr_outputs,
)

from qtlib.experiments import ch06_qat

EXPLORER = ".qt-qat-explorer"
RESULT = f"{EXPLORER} .qt-qat-result"
PLOT = f"{EXPLORER} img"
CHANGED = "([sel, old]) => document.querySelector(sel) && document.querySelector(sel).{} !== old"

SETUP = '''
from qtlib.experiments import ch06_qat
from qtlib.widgets.qat_explorer import qat_widget

record = ch06_qat.load_record()
qat_widget(ch06_qat.recorded_table(record), record["float_accuracy"], setting="W3A4")
'''


@pytest.mark.browser
def test_qat_explorer_follows_its_controls(page, tmp_path):
    with explorer_in_lab(page, tmp_path, SETUP, RESULT, PLOT):
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
    acc = ch06_qat.recorded_table().set_index(["setting", "method"])["accuracy"]
    assert first.startswith(f"W3A4, QAT, min-max scales: test accuracy "
                            f"{100 * acc['W3A4', 'qat']:.1f}%")
    assert ptq.startswith("W3A4, post-training") and f"{100 * acc['W3A4', 'ptq']:.1f}%" in ptq
    assert w8.startswith("W8A8, post-training") and f"{100 * acc['W8A8', 'ptq']:.1f}%" in w8
    assert path.stat().st_size > 10_000
