"""InputScaledLinear: a Linear whose input is first multiplied per channel (ch03).

SmoothQuant divides each input channel ``j`` of a linear layer by ``s_j`` and multiplies the
weight's column ``j`` by ``s_j``. Where a preceding LayerNorm or linear produces that input and
nothing else reads it, the division folds into it for free; where it cannot (the input also feeds
a residual, or it comes out of a GELU), this module does the division explicitly: one float
multiply per element before the (quantized) ``linear`` child.
"""

from __future__ import annotations

import torch
from torch import nn

from qtlib.nn._common import check_input


class InputScaledLinear(nn.Module):
    """``y = linear(x * inv_scale)``: ``x [..., in]`` float, ``inv_scale`` float32 ``[in]``.

    ``linear`` is a plain ``nn.Linear`` child (so ``qtlib.methods`` can quantize it as usual, by
    the name ``<this module>.linear``); ``inv_scale`` is a buffer (saved in the state dict).
    """

    def __init__(self, linear: nn.Module, inv_scale: torch.Tensor) -> None:
        super().__init__()
        in_features = getattr(linear, "in_features", None)
        if not isinstance(inv_scale, torch.Tensor) or inv_scale.shape != (in_features,):
            raise ValueError(f"inv_scale must be a tensor of shape [{in_features}], got "
                             f"{getattr(inv_scale, 'shape', type(inv_scale).__name__)}")
        self.in_features = in_features
        self.out_features = linear.out_features
        self.linear = linear
        self.register_buffer("inv_scale", inv_scale.detach().float().clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.in_features)
        return self.linear(x * self.inv_scale.to(x.dtype))

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, per-channel input scale (SmoothQuant, unfolded)"
