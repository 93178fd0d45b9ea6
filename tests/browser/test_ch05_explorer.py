"""ch05's trade-off explorer works in a real JupyterLab in headless Chromium.

The notebook here builds the explorer from a small fixed table (the chapter's own notebook needs
the full sweep, which the notebook tests run); the widget code is the chapter's.
"""

import pytest
from browser_lab import (
    explorer_in_lab,
    screenshot,
    stderr_outputs,
)

EXPLORER = ".qt-tradeoff-explorer"
CHOICE = f"{EXPLORER} .qt-tradeoff-choice"
PLOT = f"{EXPLORER} img"
CHANGED = "([sel, old]) => document.querySelector(sel) && document.querySelector(sel).{} !== old"

SETUP = '''
import pandas as pd
from qtlib.widgets.tradeoff import tradeoff_widget

rows = [
    ("float32", "float32", "-", "none", 20.0, 1.0, 90.0, 0.97),
    ("dynamic_int8 per-token", "dynamic_int8", "per-token", "none", 9.0, 0.997, 23.0, 0.965),
    ("dynamic_int8 per-token | keep ffn_output", "dynamic_int8", "per-token", "ffn_output",
     12.0, 0.999, 35.0, 0.97),
    ("weight_sharing k4", "weight_sharing", "k4", "none", 25.0, 0.80, 20.0, 0.60),
    ("weight_sharing k16", "weight_sharing", "k16", "none", 24.0, 0.99, 25.0, 0.96),
]
table = pd.DataFrame(rows, columns=["label", "method", "setting", "keep_float",
                                    "minilm_latency_ms", "minilm_cos_mean", "minilm_size_mb",
                                    "vit_accuracy"])
tradeoff_widget(table)
'''


@pytest.mark.browser
def test_tradeoff_explorer_follows_the_dropdowns(page, tmp_path):
    with explorer_in_lab(page, tmp_path, SETUP, CHOICE):
        before = page.locator(CHOICE).inner_text()
        assert before == "dynamic_int8 per-token: on the Pareto front"
        page.wait_for_selector(PLOT, timeout=30_000)   # the plot is drawn
        plot_before = page.locator(PLOT).get_attribute("src")
        page.locator(f"{EXPLORER} select").first.select_option("weight_sharing")
        page.wait_for_function(CHANGED.format("innerText"), arg=[CHOICE, before],
                               timeout=30_000)
        after = page.locator(CHOICE).inner_text()
        # the plot is redrawn too (the chosen point is ringed): its image changes
        page.wait_for_function(CHANGED.format("src"), arg=[PLOT, plot_before], timeout=30_000)
        plot_after = page.locator(PLOT).get_attribute("src")
        # the setting dropdown follows the method; its first setting is k4
        settings = page.locator(f"{EXPLORER} select").nth(1).locator("option").all_inner_texts()
        page.locator(f"{EXPLORER} select").nth(1).select_option("k16")
        page.wait_for_function(CHANGED.format("innerText"), arg=[CHOICE, after],
                               timeout=30_000)
        last = page.locator(CHOICE).inner_text()
        page.wait_for_function(CHANGED.format("src"), arg=[PLOT, plot_after], timeout=30_000)
        path = screenshot(page, "ch05_tradeoff_explorer")
        assert stderr_outputs(page) == []
    assert after == "weight_sharing k4: dominated"
    assert settings == ["k4", "k16"]
    assert last == "weight_sharing k16: dominated"
    assert path.stat().st_size > 10_000
