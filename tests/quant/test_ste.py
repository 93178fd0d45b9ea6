"""The STE helpers (ch06): finite differences of a staircase against autograd's STE slope."""

import math

import pytest
import torch

from qtlib.quant import QuantSpec, fake_quantize, ste


def staircase(x, scale=0.25, bits=3):
    return fake_quantize(x.float(), scale, 0, QuantSpec(num_bits=bits))


def test_finite_differences_of_smooth_functions():
    x = torch.linspace(-2, 2, 9)
    slope = ste.finite_difference_slope(torch.sin, x, h=1e-4)
    assert slope.dtype == torch.float64 and slope.shape == x.shape
    assert torch.allclose(slope, torch.cos(x.double()), atol=1e-6)
    with pytest.raises(ValueError, match="positive"):
        ste.finite_difference_slope(torch.sin, x, h=0.0)


def test_the_staircase_is_flat_up_close_and_the_ste_from_afar():
    # codes -4..3 with scale 0.25: the range is [-1.0, 0.75]; points inside and outside,
    # each farther than h from the edges and (for the small h) from the risers
    inside = torch.tensor([-0.6, -0.1, 0.1, 0.35])
    outside = torch.tensor([-2.5, -2.0, 1.9, 2.6])
    x = torch.cat([inside, outside])
    assert ste.finite_difference_slope(staircase, x, h=1e-3).abs().max() == 0
    ag = ste.autograd_slope(staircase, x)
    assert ag.tolist() == [1.0] * 4 + [0.0] * 4
    agree = ste.ste_agreement(staircase, x, h=0.25)      # one step wide: the ramp's slope
    assert agree["mean_fd_where_ste_is_1"] == pytest.approx(1.0, abs=1e-6)
    assert agree["mean_fd_where_ste_is_0"] == 0.0
    assert agree["max_abs_diff"] <= 1.0 + 1e-6


def test_agreement_reports_nan_where_a_side_is_empty():
    agree = ste.ste_agreement(staircase, torch.tensor([-0.1, 0.1]), h=0.25)
    assert math.isnan(agree["mean_fd_where_ste_is_0"])
    assert agree["mean_fd_where_ste_is_1"] == pytest.approx(1.0, abs=1e-6)
