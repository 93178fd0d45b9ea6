"""LSQLinear: a fake-quant linear whose weight scales are trained (LSQ, Esser et al., 2020; ch06).

Like :class:`~qtlib.nn.FakeQuantLinear`, but the per-output-channel weight scale is an
``nn.Parameter`` (``weight_scale [out]``) that the optimizer updates with LSQ's gradient
(:func:`qtlib.quant.lsq_fake_quantize`), instead of being recomputed by min-max at each call.
Weights are symmetric signed ``num_bits`` codes (zero-point 0); the input is fake-quantized per
token with ``act_spec`` (min-max at each call, as :class:`~qtlib.nn.DynamicInt8Linear` will do
after conversion), or left in float when ``act_spec`` is None.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from qtlib.nn._common import check_input, check_linear
from qtlib.quant import QuantSpec, choose_qparams, fake_quantize
from qtlib.quant.lsq import lsq_fake_quantize, lsq_grad_scale, lsq_init_scale


class LSQLinear(nn.Linear):
    """``y = x_fq @ (round(clamp(W / s, qmin, qmax)) * s).T + b`` with ``s [out]`` trainable.

    ``weight [out, in]`` and ``bias`` float32 parameters; ``weight_scale [out]`` float32
    parameter (initialized by ``init``: ``"minmax"``, the min-max scale of
    ``QuantSpec(num_bits, granularity="per_channel", axis=0)``, or ``"lsq"``, the paper's
    ``2 * mean|W| / sqrt(qmax)``). The scale's gradient is scaled by
    ``g = 1 / sqrt(in_features * qmax)``.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 num_bits: int = 4, act_spec: QuantSpec | None = None) -> None:
        super().__init__(in_features, out_features, bias)
        self.weight_spec = QuantSpec(num_bits=num_bits, granularity="per_channel", axis=0)
        self.act_spec = act_spec
        self.weight_scale = nn.Parameter(torch.ones(out_features))

    @classmethod
    def from_float(cls, module: nn.Linear, *, num_bits: int = 4,
                   act_spec: QuantSpec | None = None, init: str = "minmax") -> LSQLinear:
        """Copy ``module``'s weight and bias and initialize the scales (the module is unchanged)."""
        check_linear(module)
        new = cls(module.in_features, module.out_features, module.bias is not None, num_bits,
                  act_spec)
        with torch.no_grad():
            new.weight.copy_(module.weight)
            if module.bias is not None:
                new.bias.copy_(module.bias)
            if init == "minmax":
                scale, _ = choose_qparams(module.weight.detach().float(), new.weight_spec)
            elif init == "lsq":
                scale = lsq_init_scale(module.weight, new.weight_spec.qmax, per_row=True)
            else:
                raise ValueError(f"init must be 'minmax' or 'lsq', got {init!r}")
            new.weight_scale.copy_(scale)
        return new

    @property
    def grad_scale(self) -> float:
        """LSQ's ``g = 1 / sqrt(in_features * qmax)`` (values per scale: one row of the weight)."""
        return lsq_grad_scale(self.in_features, self.weight_spec.qmax)

    def fake_quant_weight(self) -> torch.Tensor:
        """The weight the forward pass uses: ``[out, in]`` float32, multiples of the scales."""
        scale = self.weight_scale.clamp_min(torch.finfo(torch.float32).eps)
        return lsq_fake_quantize(self.weight, scale, self.weight_spec.qmin,
                                 self.weight_spec.qmax, self.grad_scale)

    def weight_codes(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(int8 codes ``[out, in]`` in ``[qmin, qmax]``, float32 scales ``[out]``), detached."""
        with torch.no_grad():
            s = self.weight_scale.detach().float().clamp_min(torch.finfo(torch.float32).eps)
            v = self.weight.detach().float() * (1.0 / s[:, None])
            codes = torch.round(v.clamp(self.weight_spec.qmin, self.weight_spec.qmax))
        return codes.to(torch.int8), s.clone()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.in_features)
        if self.act_spec is not None:
            sx, zx = choose_qparams(x.detach(), self.act_spec)
            x = fake_quantize(x, sx, zx, self.act_spec)
        return F.linear(x, self.fake_quant_weight(), self.bias)

    def extra_repr(self) -> str:
        act = self.act_spec.short() if self.act_spec else "float"
        return (super().extra_repr() + f", weight={self.weight_spec.short()} (fake, learned "
                f"scale), act={act}")
