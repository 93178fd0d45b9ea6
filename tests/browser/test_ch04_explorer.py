"""ch04's RTN / GPTQ explorer works in a real JupyterLab in headless Chromium.

The notebook here builds the explorer exactly as the chapter does, from the recorded sweep
shipped in the package (``qtlib.experiments.ch04_ptq.group_size_sweep()``, a JSON read), so the
browser sees the chapter's real numbers without waiting for a measurement.
"""

import pytest
from browser_lab import (
    explorer_in_lab,
    screenshot,
    stderr_outputs,
)

EXPLORER = ".qt-gptq-grid-explorer"
RESULT = f"{EXPLORER} .qt-gptq-grid-result"
CHANGED = ("([sel, old]) => document.querySelector(sel) && "
           "document.querySelector(sel).innerText !== old")

SETUP = '''
from qtlib.experiments import ch04_ptq
from qtlib.widgets.gptq_grid import gptq_explorer

gptq_explorer(ch04_ptq.group_size_sweep())
'''


def _perplexity(text: str) -> float:
    return float(text.split("perplexity ")[1].split(" ")[0])


@pytest.mark.browser
def test_gptq_explorer_follows_its_controls(page, tmp_path):
    with explorer_in_lab(page, tmp_path, SETUP, RESULT):
        first = page.locator(RESULT).inner_text()
        # bits dropdown (the first select): int3
        page.locator(f"{EXPLORER} select").first.select_option(label="3")
        page.wait_for_function(CHANGED, arg=[RESULT, first], timeout=30_000)
        rtn3 = page.locator(RESULT).inner_text()
        # group size dropdown (the second select): 128
        page.locator(f"{EXPLORER} select").nth(1).select_option(label="128")
        page.wait_for_function(CHANGED, arg=[RESULT, rtn3], timeout=30_000)
        rtn3_128 = page.locator(RESULT).inner_text()
        # the method toggle: GPTQ
        page.locator(f"{EXPLORER} button", has_text="GPTQ").click()
        page.wait_for_function(CHANGED, arg=[RESULT, rtn3_128], timeout=30_000)
        gptq3_128 = page.locator(RESULT).inner_text()
        path = screenshot(page, "ch04_gptq_explorer")
        assert stderr_outputs(page) == []
    assert first.startswith("RTN int4, groups of 32")
    assert rtn3.startswith("RTN int3, groups of 32")
    assert rtn3_128.startswith("RTN int3, groups of 128") and "0.4062 bytes" in rtn3_128
    assert gptq3_128.startswith("GPTQ int3, groups of 128")
    assert _perplexity(gptq3_128) < _perplexity(rtn3_128), "GPTQ beats RTN at int3 g128"
    assert _perplexity(rtn3) < _perplexity(rtn3_128), "smaller groups help RTN"
    assert path.stat().st_size > 10_000
