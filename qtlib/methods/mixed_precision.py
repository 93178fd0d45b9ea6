"""Mixed precision from a per-layer sensitivity ranking: which layers stay float (ch03)."""

from __future__ import annotations

from collections.abc import Mapping

#: bytes of a float32 weight over those of an int8 weight
FLOAT_OVER_INT8 = 4


def rank_layers(drops: Mapping[str, float]) -> list[str]:
    """Layer names by fidelity drop ``{name: drop}`` (measured with only that layer quantized),
    largest first; ties by name, ascending (ch03)."""
    return sorted(drops, key=lambda n: (-float(drops[n]), n))


def mixed_size(float_bytes: Mapping[str, int], keep_float: set[str] | list[str]) -> int:
    """Bytes of the layers' weights when ``keep_float`` stay float32 and the rest are int8
    (a quarter of their float32 bytes, ``float_bytes[name] // 4``)."""
    keep = set(keep_float)
    return sum(b if n in keep else b // FLOAT_OVER_INT8 for n, b in float_bytes.items())


def choose_float_layers(drops: Mapping[str, float], float_bytes: Mapping[str, int],
                        budget_bytes: int) -> tuple[list[str], list[str]]:
    """``(ranking, keep_float)``: walk the ranking (:func:`rank_layers`) and keep each layer in
    float if the weights' total (:func:`mixed_size`) stays within ``budget_bytes`` (``<=``),
    otherwise skip it and go on (ch03). ``keep_float`` is in ranking order.

    ``drops``: ``{name: float}``; ``float_bytes``: ``{name: float32 weight bytes}``, same keys.
    Raises ValueError when even all-int8 exceeds the budget.
    """
    if set(drops) != set(float_bytes):
        raise ValueError("drops and float_bytes must name the same layers")
    ranking = rank_layers(drops)
    keep: list[str] = []
    total = mixed_size(float_bytes, keep)
    if total > budget_bytes:
        raise ValueError(f"all-int8 weights take {total} bytes, over the budget {budget_bytes}")
    for name in ranking:
        extra = float_bytes[name] - float_bytes[name] // FLOAT_OVER_INT8
        if total + extra <= budget_bytes:
            keep.append(name)
            total += extra
    return ranking, keep
