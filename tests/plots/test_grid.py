"""qtlib.plots.grid.quantization_grid: two panels and a text alternative (ch02)."""

import pytest
import torch

from qtlib.plots.grid import quantization_grid


def test_panels_and_description():
    torch.manual_seed(0)
    x = torch.randn(1000)
    levels = torch.arange(-8, 8) * 0.5
    x_hat = torch.clamp(torch.round(x / 0.5), -8, 7) * 0.5
    plot = quantization_grid(x, x_hat, levels, clip=(-4.0, 3.5), title="int4")
    assert len(plot.figure.axes) == 2
    assert plot.figure.axes[0].get_title() == "int4"
    assert "16 quantization levels 0.5 apart" in plot.description
    assert "SQNR" in plot.description and "clipping range" in plot.description


def test_constant_input_and_bad_arguments():
    x = torch.zeros(10)
    plot = quantization_grid(x, x.clone(), torch.zeros(1))
    assert "inf dB" in plot.description or "SQNR" in plot.description
    with pytest.raises(ValueError, match="same number"):
        quantization_grid(torch.zeros(3), torch.zeros(4), torch.zeros(2))
    with pytest.raises(TypeError, match="levels"):
        quantization_grid(torch.zeros(3), torch.zeros(3), [0.0])
