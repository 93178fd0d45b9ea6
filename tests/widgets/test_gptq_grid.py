"""ch04's explorer callback: plain lookups on the sweep table, fast, errors named."""

import time

import pandas as pd
import pytest

from qtlib.widgets.gptq_grid import gptq_explorer, gptq_point, gptq_point_text

TABLE = pd.DataFrame([
    {"method": "float32", "bits": 32, "group_size": "-", "perplexity": 3.9,
     "bytes_per_weight": 4.0},
    {"method": "RTN", "bits": 3, "group_size": 128, "perplexity": 4.4, "bytes_per_weight": 0.40625},
    {"method": "GPTQ", "bits": 3, "group_size": 128, "perplexity": 4.1,
     "bytes_per_weight": 0.40625},
    {"method": "RTN", "bits": 4, "group_size": "per-channel", "perplexity": 4.0,
     "bytes_per_weight": 0.52},
    {"method": "GPTQ", "bits": 4, "group_size": "per-channel", "perplexity": 3.95,
     "bytes_per_weight": 0.52}])


def test_point_and_text():
    p = gptq_point(TABLE, 3, 128, "GPTQ")
    assert p == {"perplexity": 4.1, "bytes_per_weight": 0.40625, "float32_perplexity": 3.9,
                 "rtn_perplexity": 4.4}
    text = gptq_point_text(TABLE, 4, "per-channel", "RTN")
    assert "per channel" in text and "4.000" in text and "0.5200 bytes" in text


def test_callback_is_fast():
    start = time.perf_counter()
    for _ in range(20):
        gptq_point_text(TABLE, 3, 128, "RTN")
    assert (time.perf_counter() - start) / 20 < 0.3


def test_bad_choices_are_named():
    with pytest.raises(ValueError, match="method"):
        gptq_point(TABLE, 3, 128, "AWQ")
    with pytest.raises(ValueError, match="no measured point"):
        gptq_point(TABLE, 2, 128, "RTN")


def test_widget_builds_and_updates():
    box = gptq_explorer(TABLE)
    html = box.children[-1]
    assert "no measured point" in html.value  # int4 g128 is not in this small table
    box.children[0].children[1].value = "per-channel"
    box.children[1].value = "GPTQ"
    assert html.value.startswith("GPTQ int4, per channel")
