"""LSQLinear: trainable per-channel weight scales, codes within the bits, gradients to the scale."""

import pytest
import torch
from torch import nn

from qtlib.nn import FakeQuantLinear, LSQLinear
from qtlib.quant import QuantSpec, choose_qparams


def test_minmax_init_starts_from_the_fake_quant_linear_and_scales_get_gradients():
    torch.manual_seed(0)
    lin = nn.Linear(16, 8)
    lsq = LSQLinear.from_float(lin, num_bits=4)
    fq = FakeQuantLinear.from_float(lin, weight_spec=QuantSpec(num_bits=4,
                                                               granularity="per_channel", axis=0))
    x = torch.randn(5, 16)
    torch.testing.assert_close(lsq(x), fq(x), rtol=1e-5, atol=1e-5)
    lsq(x).pow(2).sum().backward()
    assert lsq.weight_scale.grad is not None and lsq.weight_scale.grad.abs().sum() > 0
    assert lsq.weight.grad is not None
    assert lsq.grad_scale == pytest.approx((16 * 7) ** -0.5)


def test_weight_codes_are_what_the_forward_uses():
    torch.manual_seed(1)
    lsq = LSQLinear.from_float(nn.Linear(12, 6), num_bits=3, init="lsq")
    with torch.no_grad():
        lsq.weight_scale.mul_(0.7)  # a trained scale clips some weights
    codes, scale = lsq.weight_codes()
    assert codes.dtype == torch.int8 and codes.min() >= -4 and codes.max() <= 3
    torch.testing.assert_close(codes.float() * scale[:, None], lsq.fake_quant_weight().detach())
    s, _ = choose_qparams(lsq.weight.detach(), lsq.weight_spec)
    assert not torch.allclose(scale, s), "the learned scale is kept, not recomputed by min-max"


def test_training_the_scale_lowers_the_weight_error():
    # the reconstruction loss ||W_q - W||^2 as a function of the scale alone: LSQ's gradient
    # moves a badly initialized scale towards a better one
    torch.manual_seed(2)
    lsq = LSQLinear.from_float(nn.Linear(64, 4), num_bits=2)
    lsq.weight.requires_grad_(False)
    opt = torch.optim.SGD([lsq.weight_scale], lr=0.05)
    before = (lsq.fake_quant_weight() - lsq.weight).pow(2).sum().item()
    for _ in range(100):
        loss = (lsq.fake_quant_weight() - lsq.weight).pow(2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.9 * before
