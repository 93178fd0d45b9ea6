"""Fast int8 kernels used by the quantized modules: per-token quantization and int8 matmul."""

from __future__ import annotations

import torch

from qtlib.quant.affine import EPS

_EPS = torch.tensor(EPS, dtype=torch.float32)

#: Reusable scratch buffers of the int8 fast path, keyed by (tag, dtype, inference mode). Fresh
#: multi-megabyte temporaries on every call cost page faults (glibc returns them to the OS);
#: reusing them keeps the batch-32 path faster than float. Holds at most one buffer per key (the
#: largest seen). A buffer made under ``torch.inference_mode()`` is an inference tensor that may
#: not be written outside it, so each mode has its own.
_SCRATCH: dict[tuple[str, torch.dtype, bool], torch.Tensor] = {}


def scratch(tag: str, shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
    """A reusable uninitialised tensor of ``shape``; valid until the next call with ``tag``.

    Only for temporaries that never leave a forward call (inference, one thread at a time).
    """
    n = 1
    for d in shape:
        n *= d
    key = (tag, dtype, torch.is_inference_mode_enabled())
    buf = _SCRATCH.get(key)
    if buf is None or buf.numel() < n:
        buf = _SCRATCH[key] = torch.empty(n, dtype=dtype)
    return buf[:n].view(shape)


def int8_matmul(a: torch.Tensor, w: torch.Tensor, out: torch.Tensor | None = None
                ) -> torch.Tensor:
    """Exact ``a @ w.T`` for int8 ``a [M, K]`` and int8 ``w [N, K]``: int32 ``[M, N]``.

    Uses ``torch._int_mm`` (int8 x int8 -> int32, AVX-512 VNNI on CPU). On torch 2.13 CPU it
    accepts any ``M, N >= 1`` and ``K >= 2`` (with ``K == 1`` and ``N > 1`` it silently returns
    garbage, found by this module's property test), and ``w.T`` of a contiguous ``[N, K]``
    weight is the column-major layout it is fastest with. ``K == 1``, empty inputs and anything
    it rejects fall back to an exact float64 matmul (exact while ``K * 128 * 128 < 2**53``).
    Accumulation cannot overflow int32 for ``K < 2**17``. ``out``: optional int32 ``[M, N]``.
    """
    if a.dtype != torch.int8 or w.dtype != torch.int8:
        raise TypeError(f"a and w must be int8, got {a.dtype} and {w.dtype}")
    if a.ndim != 2 or w.ndim != 2 or a.shape[1] != w.shape[1]:
        raise ValueError(f"need a [M, K] and w [N, K], got {tuple(a.shape)} and {tuple(w.shape)}")
    if a.shape[1] >= 2**17:
        raise ValueError(f"K={a.shape[1]} could overflow the int32 accumulator (K < 131072)")
    if a.numel() and w.numel() and a.shape[1] >= 2:
        try:
            if out is not None:
                return torch._int_mm(a.contiguous(), w.t(), out=out)
            return torch._int_mm(a.contiguous(), w.t())
        except RuntimeError:  # pragma: no cover - shapes this torch build does not support
            pass
    return (a.double() @ w.double().t()).to(torch.int32)


def quantize_per_token_int8(x: torch.Tensor, *, reuse: bool = False
                            ) -> tuple[torch.Tensor, torch.Tensor]:
    """Symmetric narrow-range int8 per-row quantization of ``x [M, K]`` (float32), fast.

    Same numbers as ``qtlib.quant`` with ``QuantSpec(granularity="per_token",
    narrow_range=True)``: ``scale = max(max|row| / 127, eps)``,
    ``q = round_half_even(x * (1/scale))`` in ``[-127, 127]``. With the narrow range
    ``|x / scale| <= 127`` (up to float32 rounding, far below 127.5), so no clamp pass is needed:
    three passes over ``x`` (max/min, multiply, round) plus the int8 conversion. Inputs must be
    finite (not checked here, for speed). ``amax``/``amin`` are used because ``torch.aminmax``
    along rows is an order of magnitude slower on CPU in torch 2.13.
    Returns ``(q int8 [M, K], scale float32 [M, 1])``; with ``reuse=True`` ``q`` lives in a
    :func:`scratch` buffer that the next call overwrites.
    """
    amax = torch.maximum(x.amax(dim=1, keepdim=True), x.amin(dim=1, keepdim=True).neg_())
    scale = torch.maximum(amax.div_(127.0), _EPS)
    if not reuse:
        return torch.mul(x, scale.reciprocal()).round_().to(torch.int8), scale
    t = torch.mul(x, scale.reciprocal(), out=scratch("act_f32", tuple(x.shape), torch.float32))
    q = scratch("act_int8", tuple(x.shape), torch.int8)
    q.copy_(t.round_())
    return q, scale


def quantize_activation_int8(x: torch.Tensor, scale: torch.Tensor, zero_point: torch.Tensor,
                             spec) -> tuple[torch.Tensor, torch.Tensor]:
    """Quantize ``x [M, K]`` with any spec of at most 8 bits into int8 codes for ``_int_mm``.

    ``scale``/``zero_point`` are per-tensor (shape ``()``) or per-token (shape ``[M]``). Unsigned
    8-bit codes do not fit int8, so every code and the zero-point are shifted by -128 when
    ``spec.qmax > 127`` (an exact change of variables). Returns ``(q int8 [M, K], shifted
    zero_point int32, broadcastable to [M, 1])``.
    """
    off = 128 if spec.qmax > 127 else 0
    if scale.ndim:
        scale, zero_point = scale.reshape(-1, 1), zero_point.reshape(-1, 1)
    t = x * (1.0 / scale)
    t.round_().add_(zero_point.float()).clamp_(spec.qmin, spec.qmax)
    if off:
        t.sub_(off)
    return t.to(torch.int8), (zero_point - off).to(torch.int32)


def int8_linear(q: torch.Tensor, zero_point: torch.Tensor | None, scale: torch.Tensor,
                weight_int8: torch.Tensor, weight_scale: torch.Tensor,
                bias: torch.Tensor | None) -> torch.Tensor:
    """``((q - zero_point) @ weight_int8.T) * scale * weight_scale + bias``, float32 ``[M, N]``.

    The integer product runs in int32 (:func:`int8_matmul`); a zero-point is removed afterwards
    with the weight's row sums: ``(q - z) @ W.T = q @ W.T - z * sum_k W[n, k]``. ``scale`` is a
    scalar or ``[M, 1]``, ``weight_scale`` ``[N]``.
    """
    acc = int8_matmul(q, weight_int8,
                      out=scratch("acc", (q.shape[0], weight_int8.shape[0]), torch.int32))
    if zero_point is not None:
        acc -= zero_point * weight_int8.sum(dim=1, dtype=torch.int32)
    y = torch.empty(acc.shape, dtype=torch.float32)
    y.copy_(acc).mul_(scale)  # int32 -> float32 in place: no mixed-dtype temporary
    if bias is not None:
        return torch.addcmul(bias, y, weight_scale, out=y)
    return y.mul_(weight_scale)


def quantize_per_channel_symmetric(w: torch.Tensor, num_bits: int = 8
                                   ) -> tuple[torch.Tensor, torch.Tensor]:
    """Symmetric per-output-channel quantization of a weight ``[N, ...]``: (int8 codes, scale [N]).

    Equivalent to ``qtlib.quant`` with ``QuantSpec(num_bits, granularity="per_channel", axis=0)``.
    """
    from qtlib.quant import QuantSpec, choose_qparams, quantize

    spec = QuantSpec(num_bits=num_bits, granularity="per_channel", axis=0)
    scale, zp = choose_qparams(w.detach().float(), spec)
    return quantize(w.detach().float(), scale, zp, spec), scale


def load_int8_linear_weights(new, module) -> None:
    """Fill ``new.weight_int8`` / ``new.weight_scale`` / ``new.bias`` from a float ``nn.Linear``.

    Weights: symmetric per-output-channel int8 (:func:`quantize_per_channel_symmetric`); bias:
    a float32 copy. Shared by the dynamic and static int8 linear modules.
    """
    q, scale = quantize_per_channel_symmetric(module.weight)
    new.weight_int8.copy_(q)
    new.weight_scale.copy_(scale)
    if module.bias is not None:
        new.bias.copy_(module.bias.detach().float())
