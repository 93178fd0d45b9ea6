"""Learned step size quantization (LSQ, Esser et al., 2020): the scale gets a gradient (ch06).

:func:`lsq_fake_quantize` is ``round(clamp(x / s, qmin, qmax)) * s`` (symmetric, zero-point 0)
with the gradients of the LSQ paper:

- ``d out / d x`` = 1 where ``qmin <= x / s <= qmax`` and 0 where clipped (the STE);
- ``d out / d s`` = ``round(x / s) - x / s`` inside the range, ``qmin`` below it, ``qmax`` above
  it, then multiplied by the gradient scale ``g`` and summed over the values sharing a scale.

``g = 1 / sqrt(N * qmax)`` (:func:`lsq_grad_scale`, ``N`` values per scale) keeps the scale's
update about as large, relative to the scale, as the weights' updates are relative to them.
Rounding is half to even, as everywhere in qtlib. :func:`lsq_init_scale` is the paper's
initial step ``2 * mean|x| / sqrt(qmax)``.
"""

from __future__ import annotations

import math

import torch


def _broadcast_scale(scale: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """A per-tensor scale (0-d or [1]) or one scale per row of ``x`` ([rows]) -> broadcastable."""
    if scale.numel() == 1:
        return scale.reshape(())
    if x.dim() < 1 or scale.dim() != 1 or scale.numel() != x.shape[0]:
        rows = x.shape[0] if x.dim() else 0
        raise ValueError(f"scale must hold 1 value or one per row of x ({rows}), got shape "
                         f"{tuple(scale.shape)}")
    return scale.reshape(-1, *([1] * (x.dim() - 1)))


class _LSQFakeQuantize(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, scale, qmin, qmax, grad_scale):  # noqa: D102
        s = _broadcast_scale(scale, x)
        v = x * (1.0 / s)  # the reciprocal, as quantize() and torch multiply
        clamped = v.clamp(qmin, qmax)
        codes = torch.round(clamped)
        ctx.save_for_backward(v, s)
        ctx.qmin, ctx.qmax, ctx.grad_scale, ctx.scale_shape = qmin, qmax, grad_scale, scale.shape
        return codes * s

    @staticmethod
    def backward(ctx, grad):  # noqa: D102
        v, s = ctx.saved_tensors
        below, above = v < ctx.qmin, v > ctx.qmax
        inside = ~(below | above)
        grad_x = grad * inside
        local = torch.where(below, float(ctx.qmin),
                            torch.where(above, float(ctx.qmax), torch.round(v) - v))
        per_value = grad * local * ctx.grad_scale
        if s.dim() == 0:
            grad_s = per_value.sum().reshape(ctx.scale_shape)
        else:
            grad_s = per_value.reshape(per_value.shape[0], -1).sum(dim=1).reshape(ctx.scale_shape)
        return grad_x, grad_s, None, None, None


def lsq_fake_quantize(x: torch.Tensor, scale: torch.Tensor, qmin: int, qmax: int,
                      grad_scale: float = 1.0) -> torch.Tensor:
    """``round(clamp(x / scale, qmin, qmax)) * scale`` with LSQ's gradients for ``x`` and ``scale``.

    Args:
        x: float tensor, any shape.
        scale: positive float tensor, one value (per tensor) or ``[x.shape[0]]`` (one per row,
            e.g. per output channel of a Linear weight ``[out, in]``); a trainable parameter.
        qmin, qmax: the integer range, e.g. -8, 7 for signed 4-bit.
        grad_scale: ``g`` multiplying the scale's gradient (:func:`lsq_grad_scale`).
    Returns:
        a tensor shaped like ``x``, every value a multiple of its scale in
        ``[qmin * scale, qmax * scale]``.
    """
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError("x must be a float tensor")
    if not isinstance(scale, torch.Tensor) or not scale.is_floating_point():
        raise TypeError("scale must be a float tensor (a trainable parameter)")
    if not (isinstance(qmin, int) and isinstance(qmax, int) and qmin < qmax):
        raise ValueError(f"need integers qmin < qmax, got {qmin!r}, {qmax!r}")
    if not grad_scale > 0:
        raise ValueError(f"grad_scale must be positive, got {grad_scale!r}")
    return _LSQFakeQuantize.apply(x, scale, qmin, qmax, float(grad_scale))


def lsq_grad_scale(values_per_scale: int, qmax: int) -> float:
    """LSQ's gradient scale ``g = 1 / sqrt(N * qmax)`` for ``N`` values sharing one scale."""
    if values_per_scale < 1 or qmax < 1:
        raise ValueError(f"need values_per_scale >= 1 and qmax >= 1, got {values_per_scale}, "
                         f"{qmax}")
    return 1.0 / math.sqrt(values_per_scale * qmax)


def lsq_init_scale(x: torch.Tensor, qmax: int, per_row: bool = False) -> torch.Tensor:
    """The paper's initial step ``2 * mean|x| / sqrt(qmax)``: one value, or one per row of ``x``."""
    a = x.detach().abs().float()
    mean = a.reshape(a.shape[0], -1).mean(dim=1) if per_row else a.mean().reshape(1)
    return (2 * mean / math.sqrt(qmax)).clamp_min(torch.finfo(torch.float32).eps)
