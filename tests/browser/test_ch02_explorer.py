"""ch02's quantization-grid explorer works in a real JupyterLab in headless Chromium.

The notebook here builds the explorer from synthetic samples plus a GELU matrix standing in for
the MiniLM activation (the chapter's own notebook computes and caches the real one, which the
notebook tests run); the widget and callback code are the chapter's.
"""

import pytest
from browser_lab import (
    explorer_in_lab,
    move_slider,
    screenshot,
    stderr_outputs,
)

EXPLORER = ".qt-quant-grid-explorer"
RESULT = f"{EXPLORER} .qt-quant-grid-result"
PLOT = f"{EXPLORER} img"
CHANGED = "([sel, old]) => document.querySelector(sel) && document.querySelector(sel).{} !== old"

SETUP = '''
import torch
from qtlib.widgets.quant_grid import make_samples, quant_grid_widget

stand_in = torch.nn.functional.gelu(torch.randn(64, 1536, generator=torch.Generator()
                                                .manual_seed(0)) * 2)
quant_grid_widget(make_samples(stand_in), distribution="laplace", num_bits=4)
'''


def _sqnr(text: str) -> float:
    return float(text.split("SQNR ")[1].split(" dB")[0])


@pytest.mark.browser
def test_quant_grid_explorer_follows_its_controls(page, tmp_path):
    with explorer_in_lab(page, tmp_path, SETUP, RESULT, PLOT):
        first = page.locator(RESULT).inner_text()
        plot_first = page.locator(PLOT).get_attribute("src")
        # granularity dropdown (the second select): per-token
        page.locator(f"{EXPLORER} select").nth(1).select_option(label="per_token")
        page.wait_for_function(CHANGED.format("innerText"), arg=[RESULT, first], timeout=30_000)
        page.wait_for_function(CHANGED.format("src"), arg=[PLOT, plot_first], timeout=30_000)
        per_token = page.locator(RESULT).inner_text()
        plot_token = page.locator(PLOT).get_attribute("src")
        # the bits slider (the first slider) to its right end: 8 bits
        move_slider(page, EXPLORER, 1.0)
        # the slider updates continuously while dragged: wait for its final value
        page.wait_for_function("sel => document.querySelector(sel).innerText.includes(': int8 ')",
                               arg=RESULT, timeout=30_000)
        page.wait_for_function(CHANGED.format("src"), arg=[PLOT, plot_token], timeout=30_000)
        eight_bits = page.locator(RESULT).inner_text()
        # the MiniLM stand-in from the data dropdown
        page.locator(f"{EXPLORER} select").first.select_option(label="MiniLM FFN activation")
        page.wait_for_function(CHANGED.format("innerText"), arg=[RESULT, eight_bits],
                               timeout=30_000)
        minilm = page.locator(RESULT).inner_text()
        path = screenshot(page, "ch02_quant_grid_explorer")
        assert stderr_outputs(page) == []
    assert first.startswith("Laplace (heavy tails): int4 affine per-tensor")
    assert "per-token" in per_token and "64 scales" in per_token
    assert "int8" in eight_bits and _sqnr(eight_bits) > _sqnr(per_token) + 15
    assert minilm.startswith("MiniLM FFN activation: int8")
    assert path.stat().st_size > 10_000
