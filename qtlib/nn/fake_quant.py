"""FakeQuantLinear: simulated quantization in float, trained through the STE (methods.qat)."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from qtlib.nn._common import check_input, check_linear
from qtlib.quant import QuantSpec, choose_qparams, fake_quantize, quantize


class FakeQuantLinear(nn.Linear):
    """An ``nn.Linear`` that fake-quantizes its weight (and optionally its input) each call.

    Weight and activation qparams are recomputed by min-max on every call (detached), so the
    module can be trained: gradients reach the float weight through the straight-through
    estimator of :func:`qtlib.quant.fake_quantize`. ``act_spec=None`` leaves inputs in float.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 weight_spec: QuantSpec | None = None, act_spec: QuantSpec | None = None) -> None:
        super().__init__(in_features, out_features, bias)
        self.weight_spec = weight_spec or QuantSpec(granularity="per_channel", axis=0)
        self.act_spec = act_spec

    @classmethod
    def from_float(cls, module: nn.Linear, *, weight_spec: QuantSpec | None = None,
                   act_spec: QuantSpec | None = None) -> FakeQuantLinear:
        """Copy ``module``'s weight and bias into a FakeQuantLinear (the module is unchanged)."""
        check_linear(module)
        new = cls(module.in_features, module.out_features, module.bias is not None,
                  weight_spec, act_spec)
        with torch.no_grad():
            new.weight.copy_(module.weight)
            if module.bias is not None:
                new.bias.copy_(module.bias)
        return new

    def weight_codes(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(int8 codes ``[out, in]``, float32 scales ``[out]``) the forward pass rounds the weight
        to, for a symmetric per-output-channel ``weight_spec`` (ch06: conversion to integers)."""
        spec = self.weight_spec
        if not (spec.granularity == "per_channel" and spec.axis in (0, -2) and spec.symmetric
                and spec.signed):
            raise ValueError(f"weight_codes needs a symmetric signed per_channel(axis=0) spec, "
                             f"got {spec.short()}")
        with torch.no_grad():
            s, z = choose_qparams(self.weight.detach().float(), spec)
            codes = quantize(self.weight.detach().float(), s, z, spec)
        return codes.to(torch.int8), s.float()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.in_features)
        s, z = choose_qparams(self.weight.detach(), self.weight_spec)
        w = fake_quantize(self.weight, s, z, self.weight_spec)
        if self.act_spec is not None:
            sx, zx = choose_qparams(x.detach(), self.act_spec)
            x = fake_quantize(x, sx, zx, self.act_spec)
        return F.linear(x, w, self.bias)

    def extra_repr(self) -> str:
        act = self.act_spec.short() if self.act_spec else "float"
        return super().extra_repr() + f", weight={self.weight_spec.short()} (fake), act={act}"
