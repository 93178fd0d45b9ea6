"""Budget lines on a trade-off scatter (qtlib.plots.budgets)."""

import pandas as pd
import pytest

from qtlib.plots import tradeoff_scatter
from qtlib.plots.budgets import with_budgets

TABLE = pd.DataFrame({"label": ["a", "b"], "minilm_size_mb": [20.0, 50.0],
                      "minilm_cos_mean": [0.995, 0.96]})


def test_lines_and_text():
    plot = tradeoff_scatter(TABLE, x="minilm_size_mb", y="minilm_cos_mean")
    lines_before = len(plot.figure.axes[0].lines)
    out = with_budgets(plot, x=(30.0, "max", "size"), y=(0.99, "min", "mean cosine"))
    assert len(out.figure.axes[0].lines) == lines_before + 2
    assert "size (at most 30" in out.description and "mean cosine (at least 0.99" in out.description


def test_one_axis_and_bad_kind():
    plot = tradeoff_scatter(TABLE, x="minilm_size_mb", y="minilm_cos_mean")
    assert "vertical" not in with_budgets(plot, y=(0.99, "min", "cos")).description
    with pytest.raises(ValueError, match="kind"):
        with_budgets(plot, x=(1.0, "below", "size"))
