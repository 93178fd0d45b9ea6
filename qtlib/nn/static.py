"""StaticInt8Linear: activation qparams fixed by calibration, int8 matmul (ch05)."""

from __future__ import annotations

import torch
from torch import nn

from qtlib.nn._common import check_input, check_linear
from qtlib.nn._int8 import int8_linear, load_int8_linear_weights, quantize_activation_int8
from qtlib.quant import QuantSpec
from qtlib.quant.affine import check_qparams
from qtlib.quant.observers import Observer


class StaticInt8Linear(nn.Module):
    """Linear with per-tensor activation qparams from calibration and per-channel int8 weights.

    ``q_x = clamp(round(x / s_x) + z_x, qmin, qmax)`` with the calibrated ``s_x, z_x`` (any
    per-tensor ``act_spec`` of at most 8 bits; unsigned 8-bit codes are shifted by -128 into
    int8), then ``y = (q_x @ q_w.T - z_x * sum_k q_w) * s_x * s_w + bias`` with an int32
    accumulator. The output stays float32 (torch.ao would requantize it to uint8 here).

    Shapes: ``x [..., in_features]`` float -> ``[..., out_features]`` in ``x``'s dtype.
    """

    weight_spec = QuantSpec(granularity="per_channel", axis=0)

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 act_spec: QuantSpec | None = None) -> None:
        super().__init__()
        self.act_spec = act_spec or QuantSpec(symmetric=False)
        if self.act_spec.granularity != "per_tensor":
            raise ValueError(f"act_spec.granularity must be 'per_tensor' for static activation "
                             f"quantization, got {self.act_spec.granularity!r}")
        self.in_features, self.out_features = in_features, out_features
        self.register_buffer("weight_int8", torch.zeros(out_features, in_features,
                                                        dtype=torch.int8))
        self.register_buffer("weight_scale", torch.ones(out_features))
        self.register_buffer("bias", torch.zeros(out_features) if bias else None)
        self.register_buffer("act_scale", torch.tensor(1.0))
        self.register_buffer("act_zero_point", torch.tensor(0, dtype=torch.int32))

    @classmethod
    def from_float(cls, module: nn.Linear, *, act_observer: Observer | None = None,
                   act_scale: torch.Tensor | float | None = None,
                   act_zero_point: torch.Tensor | int | None = None,
                   act_spec: QuantSpec | None = None) -> StaticInt8Linear:
        """Quantize ``module`` with activation qparams from an observer or given explicitly.

        Pass either ``act_observer`` (a calibrated per-tensor observer; its spec is used) or
        ``act_scale`` and ``act_zero_point`` (with ``act_spec``, default int8 affine).
        """
        check_linear(module)
        if act_observer is not None:
            if act_scale is not None or act_zero_point is not None:
                raise ValueError("pass act_observer or act_scale/act_zero_point, not both")
            act_spec = act_observer.spec
            act_scale, act_zero_point = act_observer.calculate_qparams()
        if act_scale is None or act_zero_point is None:
            raise ValueError("static quantization needs activation qparams: pass act_observer= "
                             "(calibrated) or act_scale= and act_zero_point=")
        new = cls(module.in_features, module.out_features, module.bias is not None, act_spec)
        s, z = check_qparams(act_scale, act_zero_point, torch.Size([1]), new.act_spec)
        new.act_scale.copy_(s.reshape(()))
        new.act_zero_point.copy_(z.reshape(()))
        load_int8_linear_weights(new, module)
        return new

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.in_features)
        x2 = x.detach().reshape(-1, self.in_features).float()  # inference only: no gradient
        q, z = quantize_activation_int8(x2, self.act_scale, self.act_zero_point, self.act_spec)
        y = int8_linear(q, z, self.act_scale, self.weight_int8, self.weight_scale, self.bias)
        return y.reshape(*x.shape[:-1], self.out_features).to(x.dtype)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}, weight={self.weight_spec.short()}, "
                f"act={self.act_spec.short()} (static, scale={float(self.act_scale):.4g}, "
                f"zero_point={int(self.act_zero_point)}), accumulate=int32")
