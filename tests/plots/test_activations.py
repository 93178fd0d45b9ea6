"""qtlib.plots.channel_outliers draws one bar per channel and names the outliers."""

import pytest
import torch

from qtlib.plots import channel_outliers


def test_channel_outliers_names_the_largest_channels():
    torch.manual_seed(0)
    x = torch.randn(4, 16, 32) * 0.1
    x[1, 3, 7] = 50.0
    plot = channel_outliers(x, what="input", top=2)
    ax = plot.figure.axes[0]
    heights = [p.get_height() for p in ax.patches]
    assert len(heights) == 32 and heights[7] == pytest.approx(50.0)
    assert "channel 7: 50" in plot.description


def test_channel_outliers_rejects_an_empty_tensor():
    with pytest.raises(ValueError):
        channel_outliers(torch.empty(0))
