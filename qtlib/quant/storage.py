"""Bytes per weight of a group-wise quantized matrix, scales and zero-points counted (ch04).

A weight stored as ``num_bits`` codes packed densely plus, for every group of ``group_size``
consecutive weights of a row, one scale (``scale_bytes``, 4 for float32, 2 for float16) and,
for an affine (asymmetric) scheme, one zero-point (``zero_point_bytes``; 0 when symmetric)::

    bytes per weight = num_bits / 8 + (scale_bytes + zero_point_bytes) / group_size

``group_size=None`` means one scale per output row: the group is the whole row of ``in_features``.
"""

from __future__ import annotations

from qtlib.utils.validation import check_int


def bytes_per_weight(num_bits: int, group_size: int | None, *, in_features: int | None = None,
                     scale_bytes: int = 4, zero_point_bytes: int = 0) -> float:
    """Storage per weight in bytes (float) for dense ``num_bits`` codes plus per-group qparams.

    Args:
        num_bits: code width, 1..8.
        group_size: weights per scale along a row; None: per channel (needs ``in_features``).
        in_features: row length, used when ``group_size`` is None.
        scale_bytes: bytes of one scale (float32: 4).
        zero_point_bytes: bytes of one zero-point (0 for symmetric codes).
    """
    check_int(num_bits, "num_bits", low=1, high=8)
    check_int(scale_bytes, "scale_bytes", low=0)
    check_int(zero_point_bytes, "zero_point_bytes", low=0)
    if group_size is None:
        if in_features is None:
            raise ValueError("group_size=None (per channel) needs in_features=<row length>")
        group_size = check_int(in_features, "in_features", low=1)
    check_int(group_size, "group_size", low=1)
    return num_bits / 8 + (scale_bytes + zero_point_bytes) / group_size
