"""Sub-byte packing: 4-bit and 2-bit codes into uint8 and back, losslessly (ch02).

Layout (little-end first): along the last dimension, value ``i`` of each byte-group goes to bits
``[i*b, (i+1)*b)`` of the byte, so for 4-bit ``byte = v0 | v1 << 4``. Signed codes are stored in
two's complement (``v & 0xF``) and sign-extended on unpacking. An odd length is padded with
zeros; pass ``length`` to unpack to drop the padding.

:func:`pack_bits` / :func:`unpack_bits` pack any width from 1 to 8 bits as one flat bit stream
(used for codebook indices of ``ceil(log2 k)`` bits).
"""

from __future__ import annotations

import math

import torch


def _check_codes(q: object, num_bits: int, name: str = "q") -> torch.Tensor:
    if not isinstance(q, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(q).__name__}")
    if q.dtype not in (torch.int8, torch.uint8):
        raise TypeError(f"{name} must be int8 (signed codes) or uint8 (unsigned codes), got "
                        f"{q.dtype}")
    if q.ndim == 0:
        raise ValueError(f"{name} must have at least one dimension")
    lo, hi = ((-(2 ** (num_bits - 1)), 2 ** (num_bits - 1) - 1) if q.dtype == torch.int8
              else (0, 2**num_bits - 1))
    if q.numel() and (int(q.min()) < lo or int(q.max()) > hi):
        raise ValueError(f"{name} holds values outside [{lo}, {hi}]; they do not fit in "
                         f"{num_bits} bits")
    return q


def _pack(q: torch.Tensor, num_bits: int) -> torch.Tensor:
    per_byte = 8 // num_bits
    n = q.shape[-1]
    pad = (-n) % per_byte
    u = (q.to(torch.int16) & (2**num_bits - 1)).to(torch.uint8)
    if pad:
        u = torch.nn.functional.pad(u, (0, pad))
    u = u.reshape(*q.shape[:-1], -1, per_byte)
    out = torch.zeros(u.shape[:-1], dtype=torch.uint8)
    for i in range(per_byte):
        out |= u[..., i] << (i * num_bits)
    return out


def _unpack(packed: torch.Tensor, num_bits: int, signed: bool, length: int | None) -> torch.Tensor:
    if not isinstance(packed, torch.Tensor) or packed.dtype != torch.uint8:
        raise TypeError("packed must be a uint8 tensor produced by the matching pack function")
    if packed.ndim == 0:
        raise ValueError("packed must have at least one dimension")
    per_byte = 8 // num_bits
    mask = 2**num_bits - 1
    parts = [(packed >> (i * num_bits)) & mask for i in range(per_byte)]
    u = torch.stack(parts, dim=-1).reshape(*packed.shape[:-1], -1)
    full = u.shape[-1]
    if length is not None:
        if not full - per_byte < length <= full:
            raise ValueError(f"length={length} does not match packed last dimension "
                             f"{packed.shape[-1]} ({full - per_byte + 1}..{full} values)")
        u = u[..., :length]
    if signed:
        v = u.to(torch.int16)
        v = torch.where(v >= 2 ** (num_bits - 1), v - 2**num_bits, v)
        return v.to(torch.int8)
    return u.contiguous()


def pack_int4(q: torch.Tensor) -> torch.Tensor:
    """Pack 4-bit codes (int8 in [-8, 7] or uint8 in [0, 15]) two per byte along the last dim.

    Returns uint8 of shape ``q.shape[:-1] + (ceil(q.shape[-1] / 2),)``.
    """
    return _pack(_check_codes(q, 4), 4)


def unpack_int4(packed: torch.Tensor, *, signed: bool = True,
                length: int | None = None) -> torch.Tensor:
    """Inverse of :func:`pack_int4`: int8 codes if ``signed`` else uint8; ``length`` trims."""
    return _unpack(packed, 4, signed, length)


def pack_int2(q: torch.Tensor) -> torch.Tensor:
    """Pack 2-bit codes (int8 in [-2, 1] or uint8 in [0, 3]) four per byte along the last dim.

    Returns uint8 of shape ``q.shape[:-1] + (ceil(q.shape[-1] / 4),)``.
    """
    return _pack(_check_codes(q, 2), 2)


def unpack_int2(packed: torch.Tensor, *, signed: bool = True,
                length: int | None = None) -> torch.Tensor:
    """Inverse of :func:`pack_int2`: int8 codes if ``signed`` else uint8; ``length`` trims."""
    return _unpack(packed, 2, signed, length)


def pack_bits(values: torch.Tensor, num_bits: int) -> torch.Tensor:
    """Pack non-negative integers ``< 2**num_bits`` (any shape) into a flat uint8 bit stream.

    Value ``i`` occupies stream bits ``[i*num_bits, (i+1)*num_bits)``, least significant bit
    first. Returns uint8 of length ``ceil(values.numel() * num_bits / 8)``.
    """
    if not isinstance(num_bits, int) or not 1 <= num_bits <= 8:
        raise ValueError(f"num_bits must be an int from 1 to 8, got {num_bits!r}")
    if not isinstance(values, torch.Tensor) or values.is_floating_point():
        raise TypeError("values must be an integer tensor")
    flat = values.reshape(-1).to(torch.int64)
    if flat.numel() and (int(flat.min()) < 0 or int(flat.max()) >= 2**num_bits):
        raise ValueError(f"values must lie in [0, {2**num_bits - 1}] to fit in {num_bits} bits")
    shifts = torch.arange(num_bits, dtype=torch.int64)
    bits = ((flat[:, None] >> shifts) & 1).reshape(-1)
    bits = torch.nn.functional.pad(bits, (0, (-bits.numel()) % 8)).reshape(-1, 8)
    weights = 2 ** torch.arange(8, dtype=torch.int64)
    return (bits * weights).sum(dim=1).to(torch.uint8)


def unpack_bits(packed: torch.Tensor, num_bits: int, count: int) -> torch.Tensor:
    """Inverse of :func:`pack_bits`: the first ``count`` values as a flat int64 tensor."""
    if not isinstance(packed, torch.Tensor) or packed.dtype != torch.uint8:
        raise TypeError("packed must be a uint8 tensor produced by pack_bits")
    if not isinstance(num_bits, int) or not 1 <= num_bits <= 8:
        raise ValueError(f"num_bits must be an int from 1 to 8, got {num_bits!r}")
    if count < 0 or math.ceil(count * num_bits / 8) != packed.numel():
        raise ValueError(f"count={count} values of {num_bits} bits need "
                         f"{math.ceil(max(count, 0) * num_bits / 8)} bytes, packed has "
                         f"{packed.numel()}")
    bits = ((packed.to(torch.int64)[:, None] >> torch.arange(8)) & 1).reshape(-1)
    bits = bits[: count * num_bits].reshape(count, num_bits)
    return (bits << torch.arange(num_bits)).sum(dim=1)
