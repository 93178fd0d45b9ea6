"""Affine quantization primitives: choose_qparams, quantize, dequantize, fake_quantize (ch02).

Rules (docs/ARCHITECTURE.md, numeric rules; bit-for-bit what
``torch.fake_quantize_per_tensor_affine`` and
torch.ao's min-max observers compute, all arithmetic in float32):

* quantize:   ``q = clamp(round_half_even(x * (1.0 / scale)) + zero_point, qmin, qmax)``, the
  reciprocal of ``scale`` taken in float32 and the zero-point added after rounding;
* dequantize: ``x_hat = (q - zero_point) * scale``;
* min-max qparams: the range ``[min, max]`` is first extended to include 0; symmetric:
  ``scale = max(-min, max) / ((qmax - qmin) / 2)``, zero-point fixed
  (:attr:`QuantSpec.symmetric_zero_point`); affine: ``scale = (max - min) / (qmax - qmin)``,
  ``zero_point = clamp(qmin - round_half_even(min / scale), qmin, qmax)``; always
  ``scale = max(scale, float32 eps)`` so a constant tensor gets a valid scale.

Shapes of ``scale`` / ``zero_point`` follow :func:`qtlib.quant.checks.qparams_shape`; scale is
float32, zero_point int32.
"""

from __future__ import annotations

import torch

from qtlib.quant.checks import (
    check_float_tensor,
    check_shape_for_spec,
    check_spec,
    normalize_axis,
    qparams_shape,
)
from qtlib.quant.spec import QuantSpec

EPS = torch.finfo(torch.float32).eps


def _grouped(x: torch.Tensor, spec: QuantSpec) -> torch.Tensor:
    """View of ``x`` whose last dimension is one reduction block (per_group / per_token)."""
    if spec.granularity == "per_group":
        return x.reshape(*x.shape[:-1], x.shape[-1] // spec.group_size, spec.group_size)
    return x


def min_max(x: torch.Tensor, spec: QuantSpec) -> tuple[torch.Tensor, torch.Tensor]:
    """Min and max of ``x`` reduced as ``spec``'s granularity asks; float32, qparams shape."""
    x = x.float()
    if spec.granularity == "per_tensor" or x.ndim == 0:
        return x.amin(), x.amax()
    if spec.granularity == "per_channel":
        axis = normalize_axis(spec.axis, x.ndim)
        x, dim = x.movedim(axis, 0).reshape(x.shape[axis], -1), 1
    else:
        x, dim = _grouped(x, spec), -1
    # amin/amax, not aminmax: aminmax along a dimension is ~10x slower on CPU in torch 2.13
    return x.amin(dim=dim), x.amax(dim=dim)


def qparams_from_min_max(min_val: torch.Tensor, max_val: torch.Tensor,
                         spec: QuantSpec) -> tuple[torch.Tensor, torch.Tensor]:
    """Scale (float32) and zero-point (int32) from observed ranges, torch.ao's min-max rule.

    ``min_val`` and ``max_val`` have the qparams shape; see the module docstring for the rule.
    """
    check_spec(spec)
    min_val = torch.as_tensor(min_val, dtype=torch.float32)
    max_val = torch.as_tensor(max_val, dtype=torch.float32)
    if min_val.shape != max_val.shape:
        raise ValueError(f"min_val shape {tuple(min_val.shape)} != max_val shape "
                         f"{tuple(max_val.shape)}")
    if bool((min_val > max_val).any()):
        raise ValueError("min_val must be <= max_val everywhere")
    zero = torch.zeros((), dtype=torch.float32)
    min_neg = torch.minimum(min_val, zero)
    max_pos = torch.maximum(max_val, zero)
    eps = torch.tensor(EPS, dtype=torch.float32)
    if spec.symmetric:
        amax = torch.maximum(-min_neg, max_pos)
        scale = torch.maximum(amax / (float(spec.qmax - spec.qmin) / 2), eps)
        zero_point = torch.full(scale.shape, spec.symmetric_zero_point, dtype=torch.int32)
    else:
        scale = torch.maximum((max_pos - min_neg) / float(spec.qmax - spec.qmin), eps)
        zero_point = spec.qmin - torch.round(min_neg / scale).to(torch.int32)
        zero_point = zero_point.clamp(spec.qmin, spec.qmax).to(torch.int32)
    return scale, zero_point


def choose_qparams(x: torch.Tensor, spec: QuantSpec) -> tuple[torch.Tensor, torch.Tensor]:
    """Min-max scale and zero-point for ``x`` under ``spec`` (torch.ao's observer rules).

    Args:
        x: float tensor, finite and non-empty.
        spec: the target format.
    Returns:
        ``(scale, zero_point)``: float32 and int32 tensors of :func:`qparams_shape` shape.
    Raises:
        TypeError: ``x`` not a float tensor, ``spec`` not a QuantSpec.
        ValueError: NaN/Inf or empty ``x``; axis out of range; group_size not dividing.
    """
    check_spec(spec)
    check_float_tensor(x, "x")
    check_shape_for_spec(x.shape, spec)
    lo, hi = min_max(x, spec)
    return qparams_from_min_max(lo, hi, spec)


def check_qparams(scale: object, zero_point: object, shape: torch.Size,
                   spec: QuantSpec) -> tuple[torch.Tensor, torch.Tensor]:
    """Validate scale/zero_point against ``spec`` for a tensor of ``shape``; return tensors."""
    expected = qparams_shape(shape, spec)
    if isinstance(scale, bool) or not isinstance(scale, (torch.Tensor, float, int)):
        raise TypeError(f"scale must be a float tensor or a number, got {type(scale).__name__}")
    if isinstance(zero_point, bool) or not isinstance(zero_point, (torch.Tensor, int)):
        raise TypeError(f"zero_point must be an integer tensor or an int, got "
                        f"{type(zero_point).__name__}")
    scale = torch.as_tensor(scale)
    zero_point = torch.as_tensor(zero_point)
    if not scale.is_floating_point():
        raise TypeError(f"scale must be a floating-point tensor, got dtype {scale.dtype}")
    if zero_point.is_floating_point() or zero_point.is_complex() or zero_point.dtype == torch.bool:
        raise TypeError(f"zero_point must be an integer tensor, got dtype {zero_point.dtype}")
    for name, t in (("scale", scale), ("zero_point", zero_point)):
        if tuple(t.shape) != expected and not (expected == () and t.numel() == 1):
            raise ValueError(
                f"{name} has shape {tuple(t.shape)} but {spec.granularity} quantization of a "
                f"tensor of shape {tuple(shape)} needs shape {expected}")
    if not bool(torch.isfinite(scale).all()) or not bool((scale > 0).all()):
        raise ValueError("scale must be positive and finite everywhere; got min "
                         f"{float(scale.min())} (use choose_qparams, which clamps to eps)")
    if bool((zero_point < spec.qmin).any()) or bool((zero_point > spec.qmax).any()):
        raise ValueError(f"zero_point must lie in [{spec.qmin}, {spec.qmax}] for {spec.short()}")
    return scale.float().reshape(expected), zero_point.to(torch.int32).reshape(expected)


def _broadcast(p: torch.Tensor, x: torch.Tensor, spec: QuantSpec) -> torch.Tensor:
    """Reshape a qparams tensor so it broadcasts against ``_grouped(x, spec)``."""
    if spec.granularity == "per_tensor" or x.ndim == 0:
        return p
    if spec.granularity == "per_channel":
        axis = normalize_axis(spec.axis, x.ndim)
        shape = [1] * x.ndim
        shape[axis] = -1
        return p.reshape(shape)
    return p.unsqueeze(-1)


def _quantize_float(x: torch.Tensor, scale: torch.Tensor, zero_point: torch.Tensor,
                    spec: QuantSpec) -> tuple[torch.Tensor, torch.Tensor]:
    """Unchecked core: (unclamped codes, clamped codes) as float32, in ``_grouped`` layout."""
    xg = _grouped(x.float(), spec)
    inv = 1.0 / _broadcast(scale, xg, spec)
    codes = torch.round(xg * inv) + _broadcast(zero_point, xg, spec).float()
    return codes, codes.clamp(spec.qmin, spec.qmax)


def quantize(x: torch.Tensor, scale: torch.Tensor | float, zero_point: torch.Tensor | int,
             spec: QuantSpec) -> torch.Tensor:
    """Quantize ``x``: ``clamp(round_half_even(x * (1/scale)) + zero_point, qmin, qmax)``.

    Computed in float32 (``1/scale`` is the float32 reciprocal), exactly as torch's fake-quantize
    kernels. Values far outside the range saturate to ``qmin`` / ``qmax``.

    Args:
        x: float tensor of any shape, finite and non-empty.
        scale: positive float32 tensor of qparams shape (a number for per_tensor).
        zero_point: int tensor of qparams shape, within ``[qmin, qmax]``.
        spec: the format.
    Returns:
        int8 (signed spec) or uint8 (unsigned) tensor of ``x``'s shape, values in
        ``[spec.qmin, spec.qmax]``.
    """
    check_spec(spec)
    check_float_tensor(x, "x")
    scale, zero_point = check_qparams(scale, zero_point, x.shape, spec)
    _, q = _quantize_float(x, scale, zero_point, spec)
    return q.reshape(x.shape).to(spec.dtype)


def dequantize(q: torch.Tensor, scale: torch.Tensor | float, zero_point: torch.Tensor | int,
               spec: QuantSpec) -> torch.Tensor:
    """Map integer codes back to floats: ``(q - zero_point) * scale``, float32, ``q``'s shape.

    Raises ValueError if ``q`` is empty or holds codes outside ``[spec.qmin, spec.qmax]``,
    TypeError if ``q`` is not an integer tensor.
    """
    check_spec(spec)
    if not isinstance(q, torch.Tensor):
        raise TypeError(f"q must be a torch.Tensor, got {type(q).__name__}")
    if q.is_floating_point() or q.is_complex() or q.dtype == torch.bool:
        raise TypeError(f"q must be an integer tensor (int8/uint8), got dtype {q.dtype}")
    if q.numel() == 0:
        raise ValueError(f"q is empty (shape {tuple(q.shape)})")
    if int(q.min()) < spec.qmin or int(q.max()) > spec.qmax:
        raise ValueError(f"q holds codes outside [{spec.qmin}, {spec.qmax}] of {spec.short()}; "
                         f"was it quantized with another spec?")
    check_shape_for_spec(q.shape, spec, "q")
    scale, zero_point = check_qparams(scale, zero_point, q.shape, spec)
    qg = _grouped(q.float(), spec)
    out = (qg - _broadcast(zero_point, qg, spec).float()) * _broadcast(scale, qg, spec)
    return out.reshape(q.shape)


class _FakeQuantizeSTE(torch.autograd.Function):
    """Quantize-dequantize with a straight-through gradient, masked outside the range."""

    @staticmethod
    def forward(ctx, x, scale, zero_point, spec):  # noqa: D102
        codes, clamped = _quantize_float(x, scale, zero_point, spec)
        mask = (codes >= spec.qmin) & (codes <= spec.qmax)
        xg = clamped
        out = (xg - _broadcast(zero_point, xg, spec).float()) * _broadcast(scale, xg, spec)
        ctx.save_for_backward(mask.reshape(x.shape))
        return out.reshape(x.shape).to(x.dtype)

    @staticmethod
    def backward(ctx, grad):  # noqa: D102
        (mask,) = ctx.saved_tensors
        return grad * mask, None, None, None


def fake_quantize(x: torch.Tensor, scale: torch.Tensor | float, zero_point: torch.Tensor | int,
                  spec: QuantSpec) -> torch.Tensor:
    """``dequantize(quantize(x))`` in ``x``'s dtype, differentiable with respect to ``x``.

    Forward: bit-exact with ``torch.fake_quantize_per_tensor_affine`` / ``_per_channel_affine``.
    Backward (straight-through estimator, as torch's): the gradient passes unchanged where
    ``round(x / scale) + zero_point`` lies in ``[qmin, qmax]`` and is 0 where it is clipped.
    ``scale`` and ``zero_point`` get no gradient here (learned step size needs a gradient for them).
    """
    check_spec(spec)
    check_float_tensor(x, "x")
    scale, zero_point = check_qparams(scale, zero_point, x.shape, spec)
    return _FakeQuantizeSTE.apply(x, scale, zero_point, spec)
