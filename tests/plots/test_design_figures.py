"""ch03's figures (qtlib.plots.design): each with a text alternative from the same data."""

import pytest
import torch

from qtlib.plots.design import migration_ranges, sensitivity_bars, size_fidelity_curve


def test_sensitivity_bars_name_the_most_sensitive_layer():
    plot = sensitivity_bars({"a": 1e-4, "b": 3e-3, "c": 0.0, "d": 2e-5}, top=3)
    assert "most sensitive is b at 3.00e-03" in plot.description
    ax = plot.figure.axes[0]
    names = [t.get_text() for t in ax.get_yticklabels()]
    by_height = sorted(zip(ax.get_yticks(), names, strict=True))
    assert [name for _, name in by_height] == ["d", "a", "b"]   # most sensitive on top
    with pytest.raises(ValueError):
        sensitivity_bars({})


def test_size_fidelity_curve_lists_every_point():
    rows = [{"k": 0, "weight_bytes": 1e6, "cosine_mean": 0.99},
            {"k": 2, "weight_bytes": 2e6, "cosine_mean": 0.995}]
    plot = size_fidelity_curve(rows)
    assert "k=0: 1.00 MB, 0.9900" in plot.description and "k=2: 2.00 MB" in plot.description


def test_migration_ranges_flatten_the_activation_at_alpha_one():
    a = torch.tensor([1.0, 1.0, 50.0, 2.0])
    w = torch.tensor([0.5, 0.2, 0.1, 0.3])
    plot = migration_ranges(a, w, a.clone(), layer="x")             # s = max|X|: alpha 1
    assert "largest channel is 50x its median" in plot.description
    assert "After dividing the activation by s and multiplying the weight by s: 1.0x" \
        in plot.description
    assert len(plot.figure.axes) == 2
    with pytest.raises(ValueError):
        migration_ranges(a, w[:2], a)
