"""DynamicInt8Linear: int8 weights, int8 activations quantized per token at run time (ch05)."""

from __future__ import annotations

import torch
from torch import nn

from qtlib.nn._common import check_input, check_linear
from qtlib.nn._int8 import (
    int8_linear,
    load_int8_linear_weights,
    quantize_activation_int8,
    quantize_per_token_int8,
)
from qtlib.quant import QuantSpec, choose_qparams


class DynamicInt8Linear(nn.Module):
    """``y = (q_x @ q_w.T) * s_x * s_w + bias`` with int8 x int8 -> int32 (``torch._int_mm``).

    Weights: symmetric per-output-channel int8 (``QuantSpec(granularity="per_channel", axis=0)``),
    ``weight_int8 [out, in]`` and ``weight_scale [out]`` float32. Activations: symmetric int8 per
    token with the narrow range [-127, 127] (one scale ``max|row| / 127`` per row of
    ``x.reshape(-1, in)``, chosen at each call; like torchao's int8 dynamic activations), which
    needs no clamp pass. Bias stays float32. Inputs must be finite (not checked per call).
    Differs from torch.ao's ``quantize_dynamic`` on purpose: torch.ao quantizes the whole
    activation tensor with one uint8 scale (7-bit, reduce_range) and the weight per tensor; one
    outlier token then costs every other token its precision.

    ``act_spec`` may be any per-token or per-tensor spec of at most 8 bits (e.g. torch.ao's
    ``QuantSpec(num_bits=7, signed=False, symmetric=False, granularity="per_tensor")``); only the
    default takes the fast path.

    Shapes: ``x [..., in_features]`` float -> ``[..., out_features]`` in ``x``'s dtype.
    """

    weight_spec = QuantSpec(granularity="per_channel", axis=0)
    default_act_spec = QuantSpec(granularity="per_token", narrow_range=True)

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 act_spec: QuantSpec | None = None) -> None:
        super().__init__()
        self.act_spec = act_spec or self.default_act_spec
        if self.act_spec.granularity not in ("per_token", "per_tensor"):
            raise ValueError(f"act_spec.granularity must be 'per_token' or 'per_tensor', got "
                             f"{self.act_spec.granularity!r}")
        self._fast = self.act_spec == self.default_act_spec
        self.in_features, self.out_features = in_features, out_features
        self.register_buffer("weight_int8", torch.zeros(out_features, in_features,
                                                        dtype=torch.int8))
        self.register_buffer("weight_scale", torch.ones(out_features))
        self.register_buffer("bias", torch.zeros(out_features) if bias else None)

    @classmethod
    def from_float(cls, module: nn.Linear, *,
                   act_spec: QuantSpec | None = None) -> DynamicInt8Linear:
        """Quantize a float ``nn.Linear`` (the input module is not changed)."""
        check_linear(module)
        new = cls(module.in_features, module.out_features, module.bias is not None, act_spec)
        load_int8_linear_weights(new, module)
        return new

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.in_features)
        x2 = x.detach().reshape(-1, self.in_features).float()  # inference only: no gradient
        if self._fast:
            q, s = quantize_per_token_int8(x2, reuse=True)
            z = None
        else:
            s, z = choose_qparams(x2, self.act_spec)
            q, z = quantize_activation_int8(x2, s, z, self.act_spec)
            s = s.reshape(-1, 1) if s.ndim else s
        y = int8_linear(q, z, s, self.weight_int8, self.weight_scale, self.bias)
        return y.reshape(*x.shape[:-1], self.out_features).to(x.dtype)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}, weight={self.weight_spec.short()}, "
                f"act={self.act_spec.short()} (dynamic), accumulate=int32")
