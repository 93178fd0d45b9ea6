"""WeightOnlyLinear: integer weights (int8 per channel, int4/int2 per group, packed) (ch05)."""

from __future__ import annotations

import functools

import torch
from torch import nn
from torch.nn import functional as F

from qtlib.nn import _kernels
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


@functools.cache
def _bfloat16_gemm_is_fast() -> bool:
    """True when oneDNN runs bfloat16 GEMMs natively here (AVX-512 BF16 / AMX): only then does
    dequantizing to bfloat16 beat float32."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


class WeightOnlyLinear(nn.Module):
    """Linear whose weight is stored as symmetric signed integers; activations stay float.

    ``group_size=None``: one scale per output channel; otherwise one scale per ``group_size``
    consecutive input features of each output row (``QuantSpec(granularity="per_group")``).
    4-bit and 2-bit codes are packed along the input dimension into ``weight_packed`` (uint8,
    ``[out, ceil(in * num_bits / 8)]``); 3, 5, 6, 7 and 8 bits are stored one per int8 byte.
    The readable forward dequantizes the weight (float32) and calls ``F.linear``: it saves
    memory, not time.

    Fast path (4 bits, ``group_size`` in 32/64/128/256, no gradient needed, CPU): torch's int4
    kernel ``torch.ops.aten._weight_int4pack_mm_for_cpu`` with **bfloat16** activations (with
    float32 activations that kernel is 15-70x slower than float): ``x`` float32 is rounded to
    bfloat16, multiplied by the same int4 codes and per-group scales (rounded to bfloat16), the
    product comes back as bfloat16, then float32 and the float32 bias is added. Same weights and
    codes as the readable path; the outputs differ by bfloat16 rounding (relative ~2**-8; see
    tests/nn). The kernel's weight layout is built from ``weight_packed`` on the first fast call
    and kept outside the state dict (so sizes and checkpoints are unchanged). With
    ``dequant_min_rows`` set (off by default, see there), inputs of that many rows or more on a
    CPU with native bfloat16 GEMMs take ``torch.ops.qtlib.int4_dequant_linear`` instead. Inside
    ``qtlib.nn._kernels.disabled()`` the readable path runs.
    """

    int4_fast_group_sizes = (32, 64, 128, 256)
    #: From this many rows on (None: never), the fast path dequantizes the int4 weight into a
    #: bfloat16 temporary and runs one bfloat16 GEMM (``torch.ops.qtlib.int4_dequant_linear``)
    #: instead of torch's int4 kernel. Measured on MiniLM's linear shapes (2 threads, a CPU with
    #: AMX-BF16): torch's kernel costs about as much as float32 at 16 rows and twice as much from
    #: 64, the dequantize-then-GEMM path 0.8-0.9x float32 at 64 rows and 0.4-0.6x at 128-512
    #: (MiniLM int4 g32 1.0-1.7x float32 from 1 x 64 tokens, bench/int8_minilm.py). Off by default
    #: for now: its weights are rounded to bfloat16, so int4 outputs move by bfloat16 rounding
    #: (TinyGPT int4 g32 perplexity 3.99319 -> 3.99389), and the chapters' recorded int4 results
    #: must be re-recorded with it before it becomes the default. Set it on a module (or the
    #: class) to use it: ``64`` is the measured break-even.
    dequant_min_rows: int | None = None

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

    def _int4_kernel_weights(self) -> tuple[torch.Tensor, torch.Tensor] | None:
        """(packed uint8 weight, bfloat16 scales_and_zeros [in/group, out, 2]) or None."""
        key = _kernels.version_key(self.weight_packed, self.weight_scale)
        cache = self.__dict__.get("_int4_cache")
        if cache is None or cache[0] != key:
            codes = self.weight_codes().to(torch.int32) + 8  # signed [-8, 7] -> the kernel's 0..15
            try:
                packed = torch.ops.aten._convert_weight_to_int4pack_for_cpu(codes.contiguous(), 1)
            except (RuntimeError, AttributeError):
                packed = None
            if packed is None:
                cache = (key, None)
            else:
                # the kernel dequantizes (code - 8) * scale + zero; zero = 0 for symmetric codes
                s = self.weight_scale.t().contiguous()                    # [in/group, out]
                sz = torch.stack([s, torch.zeros_like(s)], dim=-1).to(torch.bfloat16)
                cache = (key, (packed, sz.contiguous()))
            self.__dict__["_int4_cache"] = cache
        return cache[1]

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state.pop("_int4_cache", None)  # derived from the buffers; rebuilt on first use
        return state

    def _use_int4_kernel(self, x: torch.Tensor) -> bool:
        return (self.num_bits == 4 and self.group_size in self.int4_fast_group_sizes
                and x.device.type == "cpu" and x.numel() > 0
                and not (x.requires_grad and torch.is_grad_enabled())
                and _kernels.fast_paths_enabled())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.in_features)
        if self._use_int4_kernel(x):
            weights = self._int4_kernel_weights()
            if weights is not None:
                x2 = x.reshape(-1, self.in_features)
                if self.dequant_min_rows is not None \
                        and x2.shape[0] >= self.dequant_min_rows and _kernels.available() \
                        and _bfloat16_gemm_is_fast():
                    y = torch.ops.qtlib.int4_dequant_linear(x2, self.weight_packed,
                                                            self.weight_scale, self.group_size,
                                                            self.bias)
                elif _kernels.available():  # the same ops, one call (qtlib/nn/csrc)
                    y = torch.ops.qtlib.int4_weight_only_linear(x2, weights[0], self.group_size,
                                                                weights[1], self.bias)
                else:
                    y = torch.ops.aten._weight_int4pack_mm_for_cpu(
                        x2.to(torch.bfloat16), weights[0], self.group_size, weights[1]).float()
                    if self.bias is not None:
                        y += self.bias
                return y.reshape(*x.shape[:-1], self.out_features).to(x.dtype)
        w = self.dequantized_weight()
        return F.linear(x.float(), w, self.bias).to(x.dtype)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}, weight={self.weight_spec.short()}"
                f"{' packed' if self.num_bits in (2, 4) else ''}, act=float32")
