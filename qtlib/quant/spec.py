"""QuantSpec: what a quantized tensor looks like (bits, sign, symmetry, granularity); ch02.

A spec is validated when it is built, so a wrong combination fails at once with a message that
names the argument, never later inside torch.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

GRANULARITIES = ("per_tensor", "per_channel", "per_group", "per_token")


@dataclass(frozen=True)
class QuantSpec:
    """How to quantize a tensor.

    Args:
        num_bits: bits per value, an int from 2 to 8. Values are stored in int8 (signed) or uint8
            (unsigned) whatever ``num_bits`` is; :func:`qtlib.quant.pack_int4` packs them.
        signed: integer range ``[-2**(b-1), 2**(b-1) - 1]`` if True, ``[0, 2**b - 1]`` if False.
        symmetric: zero-point fixed (0 when signed; torch.ao's mid-range value when unsigned) and
            scale from ``max(|min|, |max|)``; otherwise affine (scale, zero-point from min, max).
        granularity: ``"per_tensor"`` (one scale), ``"per_channel"`` (one scale per index along
            ``axis``), ``"per_group"`` (one scale per ``group_size`` consecutive values along the
            last dimension), ``"per_token"`` (one scale per row: all dimensions but the last).
        axis: the channel dimension; required for ``"per_channel"``, forbidden otherwise.
        group_size: values per group; required for ``"per_group"``, forbidden otherwise.
        narrow_range: drop the most negative code: signed ``[-(2**(b-1) - 1), 2**(b-1) - 1]``,
            unsigned ``[1, 2**b - 1]``. Never applied silently.
    """

    num_bits: int = 8
    signed: bool = True
    symmetric: bool = True
    granularity: str = "per_tensor"
    axis: int | None = None
    group_size: int | None = None
    narrow_range: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.num_bits, int) or isinstance(self.num_bits, bool):
            raise TypeError(f"num_bits must be an int from 2 to 8, got {self.num_bits!r}")
        if not 2 <= self.num_bits <= 8:
            raise ValueError(f"num_bits must be from 2 to 8, got {self.num_bits}")
        for name in ("signed", "symmetric", "narrow_range"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"{name} must be True or False, got {getattr(self, name)!r}")
        if self.granularity not in GRANULARITIES:
            raise ValueError(
                f"granularity must be one of {GRANULARITIES}, got {self.granularity!r}")
        if self.granularity == "per_channel":
            if self.axis is None:
                raise ValueError("granularity='per_channel' needs axis=<channel dimension>, "
                                 "e.g. axis=0 for a Linear weight [out, in]")
            if not isinstance(self.axis, int) or isinstance(self.axis, bool):
                raise TypeError(f"axis must be an int, got {self.axis!r}")
        elif self.axis is not None:
            raise ValueError(f"axis is only used with granularity='per_channel'; got axis="
                             f"{self.axis} with granularity={self.granularity!r}")
        if self.granularity == "per_group":
            if self.group_size is None:
                raise ValueError("granularity='per_group' needs group_size=<values per group>, "
                                 "e.g. group_size=32")
            if not isinstance(self.group_size, int) or isinstance(self.group_size, bool):
                raise TypeError(f"group_size must be an int, got {self.group_size!r}")
            if self.group_size < 1:
                raise ValueError(f"group_size must be positive, got {self.group_size}")
        elif self.group_size is not None:
            raise ValueError(f"group_size is only used with granularity='per_group'; got "
                             f"group_size={self.group_size} with granularity={self.granularity!r}")

    @property
    def qmin(self) -> int:
        """Smallest integer code."""
        if self.signed:
            return -(2 ** (self.num_bits - 1)) + (1 if self.narrow_range else 0)
        return 1 if self.narrow_range else 0

    @property
    def qmax(self) -> int:
        """Largest integer code."""
        return 2 ** (self.num_bits - 1) - 1 if self.signed else 2**self.num_bits - 1

    @property
    def dtype(self) -> torch.dtype:
        """Storage dtype of quantized values: torch.int8 if signed else torch.uint8."""
        return torch.int8 if self.signed else torch.uint8

    @property
    def symmetric_zero_point(self) -> int:
        """Zero-point of a symmetric spec, as torch.ao's observers choose it.

        0 when signed; 128 for the full unsigned 8-bit range; otherwise the rounded-down middle
        ``(qmin + qmax) // 2`` (torch.ao's rule for a customized range).
        """
        if self.signed:
            return 0
        if self.num_bits == 8 and not self.narrow_range:
            return 128
        return (self.qmin + self.qmax) // 2

    def short(self) -> str:
        """A compact description such as ``int8 sym per_channel(axis=0)``."""
        kind = ("int" if self.signed else "uint") + str(self.num_bits)
        gran = self.granularity
        if gran == "per_channel":
            gran += f"(axis={self.axis})"
        elif gran == "per_group":
            gran += f"(group_size={self.group_size})"
        narrow = " narrow" if self.narrow_range else ""
        return f"{kind} {'sym' if self.symmetric else 'affine'} {gran}{narrow}"
