"""Numbers for people: the course's one byte-unit convention.

The course writes sizes in **decimal** units, as disk and download sizes are written:
1 kB = 1,000 B, 1 MB = 1,000,000 B, 1 GB = 10^9 B (never KiB/MiB). Tables, reports, plots and
notebook prose all go through :func:`format_bytes` or :func:`bytes_unit`, so a size reads the same
everywhere. Defined in ch00 (the model-size explorer), used in every chapter.
"""

from __future__ import annotations

#: (divisor, unit) from the largest down; decimal units only.
BYTE_UNITS: tuple[tuple[int, str], ...] = ((10**12, "TB"), (10**9, "GB"), (10**6, "MB"),
                                          (10**3, "kB"), (1, "B"))


def bytes_unit(num_bytes: float) -> tuple[int, str]:
    """``(divisor, unit)`` so that ``num_bytes / divisor`` is at least 1 in the largest unit.

    ``bytes_unit(22_700_000) == (1_000_000, "MB")``; ``bytes_unit(0) == (1, "B")``.
    """
    if isinstance(num_bytes, bool) or not isinstance(num_bytes, int | float):
        raise TypeError(f"num_bytes must be a number, got {type(num_bytes).__name__}")
    for divisor, unit in BYTE_UNITS:
        if abs(num_bytes) >= divisor:
            return divisor, unit
    return 1, "B"


def format_bytes(num_bytes: float, digits: int = 3) -> str:
    """``num_bytes`` with ``digits`` significant digits in decimal units.

    ``format_bytes(22_700_000) == "22.7 MB"``, ``format_bytes(512) == "512 B"``,
    ``format_bytes(1_500) == "1.5 kB"``, ``format_bytes(999_999) == "1 MB"`` (rounding that
    reaches 1000 moves to the next unit). Negative sizes raise ``ValueError``.
    """
    if not isinstance(digits, int) or isinstance(digits, bool) or digits < 1:
        raise ValueError(f"digits must be a positive int, got {digits!r}")
    if isinstance(num_bytes, bool) or not isinstance(num_bytes, int | float) or num_bytes < 0:
        raise ValueError(f"num_bytes must be a number >= 0, got {num_bytes!r}")
    units = BYTE_UNITS[::-1]  # B, kB, MB, ...
    index = max(i for i, (divisor, _) in enumerate(units) if num_bytes >= divisor or i == 0)
    value = num_bytes / units[index][0]
    if index == 0:
        return f"{num_bytes:g} B"
    if float(f"{value:.{digits}g}") >= 1000 and index + 1 < len(units):
        index, value = index + 1, num_bytes / units[index + 1][0]
    return f"{float(f'{value:.{digits}g}'):g} {units[index][1]}"
