"""ch07's explorer of the learner's candidates works in a real JupyterLab in headless Chromium.

The notebook here builds the explorer from a few fixed candidate rows (the chapter's own notebook
measures them, which the notebook tests run); the widget and callback code are the chapter's.
"""

import pytest
from browser_lab import (
    explorer_in_lab,
    screenshot,
    stderr_outputs,
)

EXPLORER = ".qt-candidates-explorer"
CHOICE = f"{EXPLORER} .qt-candidates-choice"
PLOT = f"{EXPLORER} img"
CHANGED = "([sel, old]) => document.querySelector(sel) && document.querySelector(sel).{} !== old"

SETUP = '''
from qtlib.experiments import ch07_capstone as cap

measured = [("dynamic int8", 22.9, 0.997, 0.97, 2.1), ("float embeddings", 58.5, 0.997, 0.97, 1.7),
            ("int4 g32", 54.5, 0.964, 0.95, 0.6), ("float32", 90.3, 1.0, 0.97, 1.0)]
rows = [cap.candidate_row(label, {"size_mb": s, "cosine_mean": c, "retrieval": r,
                                  "retrieval_fp32": 0.97, "speedup": v, "faithful": True})
        for label, s, c, r, v in measured]
cap.candidates_explorer(rows, "size", "fidelity", highlight="dynamic int8")
'''


@pytest.mark.browser
def test_candidates_explorer_follows_the_dropdowns(page, tmp_path):
    with explorer_in_lab(page, tmp_path, SETUP, CHOICE):
        before = page.locator(CHOICE).inner_text()
        page.wait_for_selector(PLOT, timeout=30_000)
        plot_before = page.locator(PLOT).get_attribute("src")
        text_before = page.locator(EXPLORER).inner_text()
        page.locator(f"{EXPLORER} select").nth(0).select_option("speed")
        page.wait_for_function(CHANGED.format("innerText"), arg=[CHOICE, before],
                               timeout=30_000)
        after = page.locator(CHOICE).inner_text()
        page.wait_for_function(CHANGED.format("src"), arg=[PLOT, plot_before], timeout=30_000)
        page.locator(f"{EXPLORER} select").nth(2).select_option("int4 g32")
        page.wait_for_function(CHANGED.format("innerText"), arg=[CHOICE, after],
                               timeout=30_000)
        last = page.locator(CHOICE).inner_text()
        text_after = page.locator(EXPLORER).inner_text()
        path = screenshot(page, "ch07_candidates_explorer")
        assert stderr_outputs(page) == []
    assert before == "dynamic int8: fidelity vs size"
    assert after == "dynamic int8: fidelity vs speed"
    assert last == "int4 g32: fidelity vs speed"
    assert "Budgets drawn" in text_before and "Meeting every budget: dynamic int8" in text_after
    assert path.stat().st_size > 10_000
