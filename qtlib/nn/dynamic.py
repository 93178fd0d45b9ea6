"""DynamicInt8Linear: int8 weights, int8 activations quantized per token at run time (ch05)."""

from __future__ import annotations

import torch
from torch import nn

from qtlib.nn import _kernels
from qtlib.nn._common import check_input, check_linear
from qtlib.nn._int8 import (
    int8_linear,
    int8_matmul,
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
    default takes the fast paths.

    Two implementations of the default spec, same integers: the readable one below
    (``quantize_per_token_int8`` + ``int8_linear`` from ``qtlib/nn/_int8.py``, about ten torch ops
    per call), which the chapters teach, and, when ``make setup`` has compiled it,
    ``torch.ops.qtlib.dynamic_int8_linear`` (``qtlib/nn/csrc/int8_linear.cpp``), which fuses the
    per-token quantization into one pass over ``x`` and the rescale + bias into one pass over the
    output around the int8 GEMM. The GEMM is oneDNN's ``qlinear_pointwise`` on a copy of the weight
    prepacked once and cached inside the library (signed int8 activations, zero-point 0,
    activation scale 1, so it returns ``acc * weight_scale`` in float32; the per-token scale and
    bias follow), or ``torch._int_mm``, whichever is faster for the number of rows (see
    ``qtlib.nn._kernels``). It produces identical codes and scales and outputs within one output
    step (float32 rounding of the epilogue; tests/nn check both GEMMs). Inside
    ``qtlib.nn._kernels.disabled()`` (or with ``QTLIB_DISABLE_KERNELS=1``) the readable path runs.
    The op takes only the module's buffers and has a shape-only fake, so under ``torch.compile``
    (``qtlib.nn.compiled.compile_quantized``) the whole model traces into one graph with the
    same op at each linear; the same integers, outputs within one output step.

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
        if self._fast:
            _kernels.available()  # load the C++ ops now: never first inside torch.compile's trace
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

    @classmethod
    def from_codes(cls, codes: torch.Tensor, scale: torch.Tensor, bias: torch.Tensor | None, *,
                   num_bits: int = 8, act_spec: QuantSpec | None = None) -> DynamicInt8Linear:
        """A module from integer weight codes ``[out, in]`` (int8 storage, values within
        ``num_bits`` signed) and per-channel scales ``[out]`` (ch06: converting a trained
        fake-quant layer keeps its codes and scales, it does not re-round the weight)."""
        spec = QuantSpec(num_bits=num_bits, granularity="per_channel", axis=0)
        if codes.dtype != torch.int8 or codes.dim() != 2:
            raise TypeError(f"codes must be int8 [out, in], got {codes.dtype} "
                            f"{tuple(codes.shape)}")
        if codes.numel() and (int(codes.min()) < spec.qmin or int(codes.max()) > spec.qmax):
            raise ValueError(f"codes must lie in [{spec.qmin}, {spec.qmax}] for "
                             f"num_bits={num_bits}")
        out_features, in_features = codes.shape
        if scale.shape != (out_features,):
            raise ValueError(f"scale must be [{out_features}], got {tuple(scale.shape)}")
        new = cls(in_features, out_features, bias is not None, act_spec)
        new.weight_spec = spec
        with torch.no_grad():
            new.weight_int8.copy_(codes)
            new.weight_scale.copy_(scale.detach().float())
            if bias is not None:
                new.bias.copy_(bias.detach().float())
        return new

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.in_features)
        x2 = x.detach().reshape(-1, self.in_features).float()  # inference only: no gradient
        if self._fast and torch.compiler.is_compiling():
            return self._forward_compiled(x2).reshape(*x.shape[:-1], self.out_features).to(x.dtype)
        if self._fast and x2.shape[0] and self.in_features >= 2 and _kernels.active():
            y = torch.ops.qtlib.dynamic_int8_linear(x2, self.weight_int8, self.weight_scale,
                                                    self.bias)
            return y.reshape(*x.shape[:-1], self.out_features).to(x.dtype)
        if self._fast:
            q, s = quantize_per_token_int8(x2, reuse=True)
            z = None
        else:
            s, z = choose_qparams(x2, self.act_spec)
            q, z = quantize_activation_int8(x2, s, z, self.act_spec)
            s = s.reshape(-1, 1) if s.ndim else s
        y = int8_linear(q, z, s, self.weight_int8, self.weight_scale, self.bias)
        return y.reshape(*x.shape[:-1], self.out_features).to(x.dtype)

    def _forward_compiled(self, x2: torch.Tensor) -> torch.Tensor:
        """The default spec under ``torch.compile``: ``[M, in]`` float32 -> ``[M, out]``.

        No Python state (no scratch buffers), so dynamo traces it
        into the model's one graph: the C++ ``torch.ops.qtlib.dynamic_int8_linear`` (shape-only
        fake in ``qtlib.nn._kernels``) when built, else the readable steps as plain torch ops
        (``torch._int_mm`` with the quantization and epilogue fused by inductor). Same integers
        as the eager paths, outputs within one output step.
        """
        if self.in_features >= 2 and _kernels.active():
            return torch.ops.qtlib.dynamic_int8_linear(x2, self.weight_int8, self.weight_scale,
                                                       self.bias)
        q, s = quantize_per_token_int8(x2)
        acc = int8_matmul(q, self.weight_int8)
        y = acc.float() * s * self.weight_scale
        return y + self.bias if self.bias is not None else y

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}, weight={self.weight_spec.short()}, "
                f"act={self.act_spec.short()} (dynamic), accumulate=int32")
