"""Argument checks used by more than one package, each raising an error that names the argument.

One definition per parameter of the course's vocabulary, so a learner meets the same rule and the
same message wherever the parameter appears (``num_clusters`` in k-means, in the weight-shared
linear and in the weight-sharing recipe).
"""

from __future__ import annotations

from typing import Any

#: Weight sharing stores cluster indices in at most 8 bits, and one cluster shares nothing.
NUM_CLUSTERS_RANGE = (2, 256)


def check_int(value: Any, name: str, *, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` if it is an ``int`` (not a bool) within ``[low, high]``, else raise.

    ``TypeError`` for a non-int, ``ValueError`` for one out of range; both messages name ``name``
    and the allowed range.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        lo = "-inf" if low is None else low
        hi = "inf" if high is None else high
        raise ValueError(f"{name} must be an int from {lo} to {hi}, got {value!r}")
    return value


def check_num_clusters(num_clusters: Any) -> int:
    """``num_clusters`` of weight sharing: an int from 2 to 256 (indices fit in one byte)."""
    low, high = NUM_CLUSTERS_RANGE
    if isinstance(num_clusters, bool) or not isinstance(num_clusters, int) \
            or not low <= num_clusters <= high:
        raise ValueError(f"num_clusters must be an int from {low} to {high}, got "
                         f"{num_clusters!r}")
    return num_clusters


def check_choice(value: Any, name: str, choices: Any) -> Any:
    """Return ``value`` if it is one of ``choices``, else ``ValueError`` listing them."""
    options = list(choices)
    if value not in options:
        raise ValueError(f"{name} must be one of {options}, got {value!r}")
    return value
