"""Helpers shared by the quantized modules: argument checks and byte counts."""

from __future__ import annotations

import torch
from torch import nn

from qtlib.quant.checks import check_float_tensor


def check_linear(module: object, name: str = "module") -> nn.Linear:
    """Return ``module`` if it is an ``nn.Linear`` with finite float weights; raise otherwise."""
    if not isinstance(module, nn.Linear):
        raise TypeError(f"{name} must be a torch.nn.Linear, got {type(module).__name__}")
    check_float_tensor(module.weight.detach(), f"{name}.weight")
    if module.bias is not None:
        check_float_tensor(module.bias.detach(), f"{name}.bias")
    return module


def bias_copy(module: nn.Module) -> torch.Tensor | None:
    """A float32 copy of ``module.bias`` (detached), or None."""
    return None if module.bias is None else module.bias.detach().float().clone()


def check_input(x: object, in_features: int) -> torch.Tensor:
    """Check a forward input ``[..., in_features]`` float tensor; raise naming ``x``."""
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError(f"x must be a floating-point tensor, got "
                        f"{getattr(x, 'dtype', type(x).__name__)}")
    if x.ndim == 0 or x.shape[-1] != in_features:
        raise ValueError(f"x must have shape [..., {in_features}], got {tuple(x.shape)}")
    return x


def state_bytes(module: nn.Module) -> int:
    """Bytes of all tensors in ``module.state_dict()`` (what ``torch.save`` stores, sans header).

    Tensors inside tuples and lists count too (torch.ao keeps its packed weight and bias as a
    tuple); other entries (a dtype, a number) take no tensor storage and count 0.
    """

    def size(value: object) -> int:
        if isinstance(value, torch.Tensor):
            return value.numel() * value.element_size()
        if isinstance(value, tuple | list):
            return sum(size(v) for v in value)
        return 0

    return sum(size(v) for v in module.state_dict().values())
