"""How sure is an accuracy measured on a small test set? Intervals and paired tests (ch05).

An accuracy of 97.50% on 360 images is 351 hits out of 360: a binomial proportion with its own
sampling noise. :func:`accuracy_interval` gives the Wilson score interval for it, and
:func:`paired_test` says whether two models evaluated *on the same examples* really differ: only
the examples on which they disagree carry information (an exact McNemar test).
"""

from __future__ import annotations

import math
from statistics import NormalDist

import torch


def accuracy_interval(correct: int, total: int, *, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval ``(low, high)`` (fractions in [0, 1]) for ``correct / total``.

    correct: number of correct predictions (int, 0..total); total: number of predictions (> 0);
    confidence: two-sided level in (0, 1). Unlike the normal approximation p +- z sqrt(p(1-p)/n),
    the Wilson interval stays inside [0, 1] and is not empty at 0% or 100% accuracy.
    """
    if int(total) != total or total <= 0:
        raise ValueError(f"total must be a positive int, got {total!r}")
    if int(correct) != correct or not 0 <= correct <= total:
        raise ValueError(f"correct must be an int in 0..total={total}, got {correct!r}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = correct / total
    denom = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denom
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def paired_test(correct_a: torch.Tensor, correct_b: torch.Tensor) -> dict[str, float]:
    """Exact McNemar test of two models scored on the same examples.

    correct_a, correct_b: bool tensors [N] (example i answered correctly by model a / b).
    Returns ``only_a`` and ``only_b`` (examples only that model gets right, as floats),
    ``difference`` (accuracy of a minus accuracy of b, a fraction) and ``p_value`` (two-sided
    probability, under "the models are equally good", of a split of the disagreements at least
    this uneven; 1.0 when they never disagree).
    """
    a = torch.as_tensor(correct_a).bool().reshape(-1)
    b = torch.as_tensor(correct_b).bool().reshape(-1)
    if a.shape != b.shape or a.numel() == 0:
        raise ValueError(f"correct_a {tuple(a.shape)} and correct_b {tuple(b.shape)} must be "
                         "non-empty and of the same length (the same examples)")
    only_a, only_b = int((a & ~b).sum()), int((b & ~a).sum())
    n, k = only_a + only_b, min(only_a, only_b)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n if n else 0.5
    return {"only_a": float(only_a), "only_b": float(only_b),
            "difference": (only_a - only_b) / a.numel(), "p_value": min(1.0, 2 * tail)}
