"""Input checks shared by qtlib.quant: each raises TypeError/ValueError naming the argument."""

from __future__ import annotations

import torch

from qtlib.quant.spec import QuantSpec


def check_float_tensor(x: object, name: str = "x") -> torch.Tensor:
    """Return ``x`` if it is a non-empty, finite floating-point tensor; raise otherwise."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor (float32/float16/bfloat16/"
                        f"float64), got dtype {x.dtype}; convert it with {name}.float()")
    if x.numel() == 0:
        raise ValueError(f"{name} is empty (shape {tuple(x.shape)}); there is nothing to "
                         f"quantize")
    if not bool(torch.isfinite(x).all()):
        n_nan = int(torch.isnan(x).sum())
        n_inf = int(torch.isinf(x).sum())
        raise ValueError(f"{name} contains {n_nan} NaN and {n_inf} Inf values; quantization "
                         f"needs finite values (check the layer that produced {name})")
    return x


def check_spec(spec: object) -> QuantSpec:
    """Return ``spec`` if it is a QuantSpec; raise TypeError otherwise."""
    if not isinstance(spec, QuantSpec):
        raise TypeError(f"spec must be a qtlib.quant.QuantSpec, got {type(spec).__name__}")
    return spec


def normalize_axis(axis: int, ndim: int, name: str = "axis") -> int:
    """Map a possibly negative ``axis`` into ``[0, ndim)``; raise ValueError if out of range."""
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name}={axis} is out of range for a tensor with {ndim} dimensions "
                         f"(valid: {-ndim} to {ndim - 1})")
    return axis % ndim


def check_shape_for_spec(shape: torch.Size, spec: QuantSpec, name: str = "x") -> None:
    """Check that a tensor of ``shape`` can be quantized with ``spec`` (axis, group_size)."""
    if spec.granularity == "per_channel":
        normalize_axis(spec.axis, len(shape))
    elif spec.granularity == "per_group":
        if len(shape) == 0:
            raise ValueError(f"{name} is a scalar; per_group needs at least one dimension")
        if shape[-1] % spec.group_size:
            raise ValueError(f"group_size={spec.group_size} does not divide the last dimension "
                             f"of {name} ({shape[-1]}); choose a divisor of {shape[-1]}")


def qparams_shape(shape: torch.Size, spec: QuantSpec) -> tuple[int, ...]:
    """Shape of the scale and zero-point tensors for a tensor of ``shape`` under ``spec``.

    per_tensor: ``()``; per_channel: ``(shape[axis],)``; per_group: ``shape[:-1] +
    (shape[-1] // group_size,)``; per_token: ``shape[:-1]``.
    """
    check_shape_for_spec(shape, spec)
    if spec.granularity == "per_tensor":
        return ()
    if spec.granularity == "per_channel":
        return (shape[normalize_axis(spec.axis, len(shape))],)
    if spec.granularity == "per_group":
        return tuple(shape[:-1]) + (shape[-1] // spec.group_size,)
    return tuple(shape[:-1])
