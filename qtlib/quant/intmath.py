"""Integer arithmetic of a quantized linear layer, and why CPUs without VNNI need 7 bits (ch02).

* :func:`accumulator_bound`: the largest ``|sum_k a_k * w_k|`` of ``K`` products of two integer
  ranges, and whether it fits int16 / int32 (int8 x int8 fits int32 for ``K < 2**17``).
* :func:`quantize_bias`: float bias -> int32 codes with scale ``x_scale * w_scale`` and
  zero-point 0, the form the int32 accumulator adds directly.
* :func:`requantize`: int32 accumulator -> output codes with the multiplier
  ``x_scale * w_scale / out_scale`` (rounded half to even, zero-point added, clamped).
* :func:`pairwise_dot_int16`: what ``vpmaddubsw`` (AVX2 / AVX-512BW without VNNI) computes: u8 x s8
  products summed in adjacent pairs into int16 **with saturation**. Two products of 255 * 127
  reach 64770 > 32767, so a full-range uint8 activation can saturate; a 7-bit activation
  (0 to 127) cannot (2 * 127 * 128 = 32512). That is why torch.ao's x86 qconfigs quantize
  activations with ``reduce_range=True``.
* :func:`dot_without_vnni` / :func:`dot_exact`: the whole dot product through that instruction
  (pairs saturate, then an exact int32 sum), and the exact one.
"""

from __future__ import annotations

import torch

INT16_MAX = 2**15 - 1
INT32_MAX = 2**31 - 1


def _check_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    return value


def accumulator_bound(k: int, a_range: tuple[int, int] = (-128, 127),
                      w_range: tuple[int, int] = (-128, 127)) -> dict[str, object]:
    """Worst-case ``|sum of k products a * w|``, codes ``a`` in ``a_range``, ``w`` in ``w_range``.

    Returns ``{"max_abs": int, "fits_int16": bool, "fits_int32": bool,
    "max_k_int32": int}`` (the largest ``k`` whose worst case still fits int32).
    """
    _check_int("k", k)
    if k < 1:
        raise ValueError(f"k must be >= 1 (the number of products summed), got {k}")
    for name, (lo, hi) in (("a_range", a_range), ("w_range", w_range)):
        _check_int(f"{name}[0]", lo)
        _check_int(f"{name}[1]", hi)
        if lo > hi:
            raise ValueError(f"{name} must be (low, high) with low <= high, got {(lo, hi)}")
    corners = [a * w for a in a_range for w in w_range]
    per_product = max(abs(c) for c in corners)
    max_abs = k * per_product
    return {"max_abs": max_abs, "fits_int16": max_abs <= INT16_MAX,
            "fits_int32": max_abs <= INT32_MAX, "max_k_int32": INT32_MAX // per_product}


def quantize_bias(bias: torch.Tensor, x_scale: torch.Tensor | float,
                  w_scale: torch.Tensor | float) -> torch.Tensor:
    """int32 bias codes ``round_half_even(bias / (x_scale * w_scale))``, zero-point 0.

    ``bias`` float [N]; ``x_scale`` a number or 0-d tensor; ``w_scale`` a number or float [N]
    (per output channel). The product scale is computed in float32.
    """
    if not isinstance(bias, torch.Tensor) or not bias.is_floating_point():
        raise TypeError("bias must be a float tensor [out_features]")
    scale = torch.as_tensor(x_scale, dtype=torch.float32) * torch.as_tensor(w_scale,
                                                                          dtype=torch.float32)
    if not bool((scale > 0).all()):
        raise ValueError("x_scale * w_scale must be positive")
    return torch.round(bias.float() / scale).to(torch.int32)


def requantize(acc: torch.Tensor, multiplier: torch.Tensor | float, zero_point: int,
               qmin: int = -128, qmax: int = 127) -> torch.Tensor:
    """Output codes ``clamp(round_half_even(acc * multiplier) + zero_point, qmin, qmax)``.

    ``acc`` int32 [..., N]; ``multiplier`` a positive number or float [N]
    (``x_scale * w_scale / out_scale``; float32 here, real kernels use a fixed-point integer).
    Returns int32 codes of ``acc``'s shape.
    """
    if not isinstance(acc, torch.Tensor) or acc.dtype != torch.int32:
        raise TypeError(f"acc must be an int32 tensor, got "
                        f"{getattr(acc, 'dtype', type(acc).__name__)}")
    _check_int("zero_point", zero_point)
    m = torch.as_tensor(multiplier, dtype=torch.float32)
    codes = torch.round(acc.float() * m) + zero_point
    return codes.clamp(qmin, qmax).to(torch.int32)


def _check_u8_s8(a: torch.Tensor, w: torch.Tensor) -> None:
    if not isinstance(a, torch.Tensor) or a.dtype != torch.uint8:
        raise TypeError(f"a must be a uint8 tensor (activations), got "
                        f"{getattr(a, 'dtype', type(a).__name__)}")
    if not isinstance(w, torch.Tensor) or w.dtype != torch.int8:
        raise TypeError(f"w must be an int8 tensor (weights), got "
                        f"{getattr(w, 'dtype', type(w).__name__)}")
    if a.shape[-1] != w.shape[-1] or a.shape[-1] % 2:
        raise ValueError(f"a and w need the same, even, last dimension; got {a.shape[-1]} and "
                         f"{w.shape[-1]}")


def pairwise_dot_int16(a: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """``vpmaddubsw``: ``sat16(a[2i] * w[2i] + a[2i+1] * w[2i+1])``; int16 [..., K/2].

    ``a`` uint8 [..., K], ``w`` int8 [..., K] (broadcastable), ``K`` even.
    """
    _check_u8_s8(a, w)
    prod = a.to(torch.int32) * w.to(torch.int32)
    pairs = prod.reshape(*prod.shape[:-1], -1, 2).sum(-1)
    return pairs.clamp(-INT16_MAX - 1, INT16_MAX).to(torch.int16)


def dot_without_vnni(a: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Dot products over the last dimension as AVX2 computes them: saturated pairs, exact sum.

    ``vpmaddubsw`` (pairs into int16, saturating) then ``vpmaddwd`` with ones (int32 sum).
    Returns int32 [...].
    """
    return pairwise_dot_int16(a, w).to(torch.int32).sum(-1, dtype=torch.int32)


def dot_exact(a: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Exact int32 dot products over the last dimension (what VNNI's ``vpdpbusd`` computes)."""
    _check_u8_s8(a, w)
    return (a.to(torch.int32) * w.to(torch.int32)).sum(-1, dtype=torch.int32)


def saturated_pairs(a: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """bool [..., K/2]: True where ``vpmaddubsw``'s pair sum falls outside int16 (it saturates)."""
    _check_u8_s8(a, w)
    prod = a.to(torch.int32) * w.to(torch.int32)
    pairs = prod.reshape(*prod.shape[:-1], -1, 2).sum(-1)
    return (pairs > INT16_MAX) | (pairs < -INT16_MAX - 1)
