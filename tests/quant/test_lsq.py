"""LSQ's fake quantization: forward values and both gradients (autograd and finite differences)."""

import math

import pytest
import torch

from qtlib.quant import lsq_fake_quantize, lsq_grad_scale, lsq_init_scale


def reference_lsq(x, s, qmin, qmax, g):
    """The paper's formulation with detach tricks (grad_scale, round_pass), by plain autograd."""
    s = s.reshape(-1, 1) if s.numel() > 1 else s
    s_scaled = (s - s * g).detach() + s * g
    v = (x * (1.0 / s_scaled)).clamp(qmin, qmax)
    v = (v.round() - v).detach() + v
    return v * s_scaled


@pytest.mark.parametrize("per_row", [False, True])
def test_gradients_match_the_detach_trick_formulation(per_row):
    torch.manual_seed(0)
    x = torch.randn(6, 10) * 2
    s0 = torch.rand(6) * 0.4 + 0.2 if per_row else torch.tensor([0.3])
    g = lsq_grad_scale(10 if per_row else 60, 7)
    grads = []
    for fn in (lsq_fake_quantize, reference_lsq):
        xi, si = x.clone().requires_grad_(True), s0.clone().requires_grad_(True)
        out = fn(xi, si, -8, 7, g)
        (out * torch.linspace(-1, 1, 60).reshape(6, 10)).sum().backward()
        grads.append((out.detach(), xi.grad, si.grad))
    for mine, ref in zip(grads[0], grads[1], strict=True):
        torch.testing.assert_close(mine, ref, rtol=1e-5, atol=1e-6)


def test_scale_gradient_matches_finite_differences_of_the_ste_surrogate():
    # LSQ's d out/d s equals d/ds [s * clamp(x / s)] + (round(v) - clamp(v)) with the rounding
    # residual held constant: check it elementwise by central differences in float64.
    torch.manual_seed(1)
    x = torch.randn(200, dtype=torch.float64) * 3
    s0, qmin, qmax = 0.45, -4, 3
    v0 = (x / s0).clamp(qmin, qmax)
    residual = v0.round() - v0

    def surrogate(s):
        return s * (x / s).clamp(qmin, qmax) + s * residual

    h = 1e-6
    fd = (surrogate(s0 + h) - surrogate(s0 - h)) / (2 * h)
    xs = x.clone().requires_grad_(True)
    s = torch.tensor([s0], dtype=torch.float64, requires_grad=True)
    # one value per element: differentiate each output separately through a per-element sum
    out = lsq_fake_quantize(xs, s, qmin, qmax, 1.0)
    per_elem = torch.autograd.grad(out, s, grad_outputs=torch.eye(200, dtype=torch.float64)[0])
    assert per_elem[0].item() == pytest.approx(fd[0].item(), abs=1e-6)
    total = torch.autograd.grad(lsq_fake_quantize(xs, s, qmin, qmax, 1.0).sum(), s)[0]
    assert total.item() == pytest.approx(fd.sum().item(), abs=1e-5)
    # the three regimes: below the range -> qmin, above -> qmax, inside -> round(v) - v
    v = x / s0
    assert torch.allclose(fd[v < qmin], torch.full_like(fd[v < qmin], qmin), atol=1e-6)
    assert torch.allclose(fd[v > qmax], torch.full_like(fd[v > qmax], qmax), atol=1e-6)


def test_input_gradient_is_the_ste_and_forward_is_on_the_grid():
    x = torch.linspace(-3, 3, 61, requires_grad=True)
    s = torch.tensor([0.25], requires_grad=True)
    out = lsq_fake_quantize(x, s, -8, 7, 0.5)
    out.sum().backward()
    codes = out.detach() / 0.25
    assert torch.equal(codes, codes.round()) and codes.min() == -8 and codes.max() == 7
    inside = (x.detach() / 0.25 >= -8) & (x.detach() / 0.25 <= 7)
    assert torch.equal(x.grad, inside.float())


def test_grad_scale_and_init_follow_the_paper():
    assert lsq_grad_scale(64, 7) == pytest.approx(1 / math.sqrt(64 * 7))
    w = torch.tensor([[1.0, -3.0], [0.5, 0.5]])
    assert torch.allclose(lsq_init_scale(w, 4, per_row=True), torch.tensor([2.0, 0.5]))
    assert torch.allclose(lsq_init_scale(w, 4), torch.tensor([1.25]))
    with pytest.raises(ValueError, match="qmin < qmax"):
        lsq_fake_quantize(w, torch.tensor([1.0]), 3, 3)
    with pytest.raises(ValueError, match="one per row"):
        lsq_fake_quantize(w, torch.ones(3), -8, 7)
