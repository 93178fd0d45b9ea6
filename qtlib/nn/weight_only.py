"""WeightOnlyLinear: integer weights (int8 per channel, int4/int2 per group, packed) (ch05)."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from qtlib.nn._common import bias_copy, check_input, check_linear
from qtlib.quant import (
    QuantSpec,
    choose_qparams,
    dequantize,
    pack_int2,
    pack_int4,
    quantize,
    unpack_int2,
    unpack_int4,
)


class WeightOnlyLinear(nn.Module):
    """Linear whose weight is stored as symmetric signed integers; activations stay float.

    ``group_size=None``: one scale per output channel; otherwise one scale per ``group_size``
    consecutive input features of each output row (``QuantSpec(granularity="per_group")``).
    4-bit and 2-bit codes are packed along the input dimension into ``weight_packed`` (uint8,
    ``[out, ceil(in * num_bits / 8)]``); 3, 5, 6, 7 and 8 bits are stored one per int8 byte.
    The forward dequantizes the weight (float32) and calls ``F.linear``: it saves memory, not time.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, num_bits: int = 8,
                 group_size: int | None = None) -> None:
        super().__init__()
        if group_size is None:
            self.weight_spec = QuantSpec(num_bits=num_bits, granularity="per_channel", axis=0)
        else:
            self.weight_spec = QuantSpec(num_bits=num_bits, granularity="per_group",
                                         group_size=group_size)
            if in_features % group_size:
                raise ValueError(f"group_size={group_size} does not divide in_features="
                                 f"{in_features}; choose a divisor of {in_features}")
        self.in_features, self.out_features = in_features, out_features
        self.num_bits, self.group_size = num_bits, group_size
        width = in_features if num_bits not in (2, 4) else -(-in_features * num_bits // 8)
        dtype = torch.uint8 if num_bits in (2, 4) else torch.int8
        n_scales = 1 if group_size is None else in_features // group_size
        self.register_buffer("weight_packed", torch.zeros(out_features, width, dtype=dtype))
        self.register_buffer("weight_scale", torch.ones(out_features, n_scales).squeeze(1)
                             if group_size is None else torch.ones(out_features, n_scales))
        self.register_buffer("bias", torch.zeros(out_features) if bias else None)

    @classmethod
    def from_float(cls, module: nn.Linear, *, num_bits: int = 8,
                   group_size: int | None = None) -> WeightOnlyLinear:
        """Quantize ``module.weight`` (symmetric, signed ``num_bits``); the module is unchanged."""
        check_linear(module)
        new = cls(module.in_features, module.out_features, module.bias is not None, num_bits,
                  group_size)
        w = module.weight.detach().float()
        scale, zp = choose_qparams(w, new.weight_spec)
        q = quantize(w, scale, zp, new.weight_spec)
        new.weight_packed.copy_(new._pack(q))
        new.weight_scale.copy_(scale)
        if module.bias is not None:
            new.bias.copy_(bias_copy(module))
        return new

    def _pack(self, q: torch.Tensor) -> torch.Tensor:
        if self.num_bits == 4:
            return pack_int4(q)
        if self.num_bits == 2:
            return pack_int2(q)
        return q

    def weight_codes(self) -> torch.Tensor:
        """The integer codes, int8 ``[out, in]``."""
        if self.num_bits == 4:
            return unpack_int4(self.weight_packed, length=self.in_features)
        if self.num_bits == 2:
            return unpack_int2(self.weight_packed, length=self.in_features)
        return self.weight_packed

    def dequantized_weight(self) -> torch.Tensor:
        """The float32 weight ``[out, in]`` the forward uses."""
        zp = torch.zeros(self.weight_scale.shape, dtype=torch.int32)
        return dequantize(self.weight_codes(), self.weight_scale, zp, self.weight_spec)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.in_features)
        w = self.dequantized_weight()
        return F.linear(x.float(), w, self.bias).to(x.dtype)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}, weight={self.weight_spec.short()}"
                f"{' packed' if self.num_bits in (2, 4) else ''}, act=float32")
