"""ch03's SmoothQuant explorer works in a real JupyterLab in headless Chromium.

The explorer reads the recorded MiniLM maxima shipped with qtlib (as the chapter does): no model
runs, so the notebook here is the chapter's own explorer cell.
"""

import pytest
from browser_lab import (
    explorer_in_lab,
    move_slider,
    screenshot,
    stderr_outputs,
)

EXPLORER = ".qt-smoothquant-explorer"
RESULT = f"{EXPLORER} .qt-smoothquant-result"
PLOT = f"{EXPLORER} img"
IDLE = r"""() => [...document.querySelectorAll('.jp-StatusBar-Widget')]
             .some(w => /\) \| Idle/.test(w.textContent))"""
CHANGED = "([sel, old]) => document.querySelector(sel) && document.querySelector(sel).{} !== old"

SETUP = '''
from qtlib.experiments.ch03_design import recorded
from qtlib.widgets.smoothquant import smoothquant_widget

smoothquant_widget(recorded()["result"], layer="bert.encoder.layer.0.output.dense", alpha=0.5)
'''


def _ratio_after(text: str) -> float:
    # "..., alpha=0.50: activation max/median 25.8x -> 37.2x (...)"
    return float(text.split("activation max/median ")[1].split(" -> ")[1].split("x")[0])


@pytest.mark.browser
def test_smoothquant_explorer_follows_its_controls(page, tmp_path):
    with explorer_in_lab(page, tmp_path, SETUP, RESULT, PLOT):
        first = page.locator(RESULT).inner_text()
        plot_first = page.locator(PLOT).get_attribute("src")
        # alpha slider to its right end: alpha 1 flattens the activation completely
        move_slider(page, EXPLORER, 1.0)
        page.wait_for_function(
            "sel => document.querySelector(sel).innerText.includes('alpha=1.00')",
            arg=RESULT, timeout=30_000)
        page.wait_for_function(CHANGED.format("src"), arg=[PLOT, plot_first], timeout=30_000)
        # the slider sends many values while dragged: let the kernel finish them all
        page.wait_for_function(IDLE, timeout=30_000)
        page.wait_for_timeout(1500)
        flat = page.locator(RESULT).inner_text()
        # another layer from the dropdown
        plot_flat = page.locator(PLOT).get_attribute("src")
        page.locator(f"{EXPLORER} select").first.select_option(
            "bert.encoder.layer.3.attention.self.query")
        page.wait_for_function(CHANGED.format("innerText"), arg=[RESULT, flat], timeout=30_000)
        page.wait_for_function(CHANGED.format("src"), arg=[PLOT, plot_flat], timeout=30_000)
        page.wait_for_function(IDLE, timeout=30_000)
        query = page.locator(RESULT).inner_text()
        path = screenshot(page, "ch03_smoothquant_explorer")
        assert stderr_outputs(page) == []
    assert first.startswith("bert.encoder.layer.0.output.dense, alpha=0.50")
    assert "cosine mean" in first
    assert "alpha=1.00" in flat and _ratio_after(flat) == pytest.approx(1.0)
    assert _ratio_after(flat) < _ratio_after(first)
    assert query.startswith("bert.encoder.layer.3.attention.self.query, alpha=1.00")
    assert path.stat().st_size > 10_000
