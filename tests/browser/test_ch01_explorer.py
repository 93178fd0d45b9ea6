"""ch01's anatomy explorer works in a real JupyterLab in headless Chromium.

The notebook here builds the explorer exactly as the chapter does, from the course models'
dimensions (read from their configurations, so no weights are loaded); the expected headlines
are computed here with the same callback.
"""

import pytest
from browser_lab import (
    explorer_in_lab,
    move_slider,
    screenshot,
    stderr_outputs,
)

from qtlib.plots.anatomy import format_count
from qtlib.widgets import anatomy

EXPLORER = ".qt-anatomy-explorer"
SUMMARY = f"{EXPLORER} .qt-anatomy-summary"
PLOT = f"{EXPLORER} img"
CHANGED = "([sel, old]) => document.querySelector(sel) && document.querySelector(sel).{} !== old"

SETUP = '''
from qtlib.widgets.anatomy import anatomy_widget, course_presets

anatomy_widget(presets=course_presets())
'''


def headline(preset: str, **changes: int) -> str:
    """The headline the explorer should show for ``preset`` with some sliders changed."""
    dims = anatomy.course_presets()[preset]
    b = anatomy.explore(dims, **{**anatomy.settings_of(dims), **changes}, figure=False).breakdown
    return (f"{b.dims.name}: {format_count(b.total('params'), 'params')}, "
            f"{format_count(b.total('flops'), 'flops')}, "
            f"{format_count(b.total('bytes'), 'bytes')} of weights")


@pytest.mark.browser
def test_anatomy_explorer_follows_the_presets_and_the_sliders(page, tmp_path):
    with explorer_in_lab(page, tmp_path, SETUP, SUMMARY, PLOT):
        first = page.locator(SUMMARY).inner_text()
        plot_first = page.locator(PLOT).get_attribute("src")
        page.locator(f"{EXPLORER} .qt-anatomy-preset select").select_option("TinyGPT")
        page.wait_for_function(CHANGED.format("innerText"), arg=[SUMMARY, first],
                               timeout=30_000)
        gpt = page.locator(SUMMARY).inner_text()
        page.wait_for_function(CHANGED.format("src"), arg=[PLOT, plot_first], timeout=30_000)
        plot_gpt = page.locator(PLOT).get_attribute("src")
        move_slider(page, f"{EXPLORER} .qt-anatomy-seq_len", 0.9)   # a long sequence
        page.wait_for_function(CHANGED.format("innerText"), arg=[SUMMARY, gpt], timeout=30_000)
        longer = page.locator(SUMMARY).inner_text()
        seq_len = int(page.locator(f"{EXPLORER} .qt-anatomy-seq_len .widget-readout").inner_text())
        page.wait_for_function(CHANGED.format("src"), arg=[PLOT, plot_gpt], timeout=30_000)
        table = page.locator(f"{EXPLORER} table").first.inner_text()
        path = screenshot(page, "ch01_anatomy_explorer")
        assert stderr_outputs(page) == []
    assert first == headline("MiniLM")
    assert gpt == headline("TinyGPT")
    assert seq_len > 2 * 512 and longer == headline("TinyGPT", seq_len=seq_len)
    assert "attention scores" in table      # at such a T, attention itself leads the FLOPs
    assert path.stat().st_size > 10_000
