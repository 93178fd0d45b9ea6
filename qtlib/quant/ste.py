"""The straight-through estimator seen from finite differences (ch06).

Rounding is a staircase: its derivative is 0 almost everywhere and undefined on the steps, so
training through ``fake_quantize`` needs a stand-in gradient. The straight-through estimator
(STE) uses 1 inside the clamp range and 0 outside. :func:`finite_difference_slope` measures what
the staircase really does over a step ``h``: with ``h`` much smaller than the scale the slope is
0 (or a spike where a step falls inside ``[x - h, x + h]``); with ``h`` a few scales wide the
staircase looks like a ramp of slope 1 inside the range and 0 beyond it, which is the STE.
:func:`ste_agreement` puts numbers on that comparison.
"""

from __future__ import annotations

from collections.abc import Callable

import torch


def finite_difference_slope(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor,
                            h: float) -> torch.Tensor:
    """Central differences ``(fn(x + h) - fn(x - h)) / (2 h)`` of an elementwise ``fn``.

    ``x`` float tensor (any shape), ``h > 0`` in ``x``'s units; returns float64, shaped like ``x``.
    """
    if not h > 0:
        raise ValueError(f"h must be positive, got {h!r}")
    x = x.detach().double()
    return (fn(x + h).double() - fn(x - h).double()) / (2 * h)


def autograd_slope(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """``d fn(x) / d x`` elementwise, as autograd computes it (the STE for fake quantization)."""
    x = x.detach().float().clone().requires_grad_(True)
    fn(x).sum().backward()
    return x.grad.detach().double()


def ste_agreement(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor,
                  h: float) -> dict[str, float]:
    """Compare the autograd slope of ``fn`` (the STE: 1 or 0) with its finite-difference slope.

    Returns ``max_abs_diff`` (largest ``|fd - autograd|`` over ``x``), and the mean
    finite-difference slope where the STE says 1 and where it says 0 (NaN where there is none).
    Choose ``x`` away from the clamp edges by more than ``h``: at an edge the averaged slope is
    between 0 and 1 whichever gradient is right.
    """
    fd = finite_difference_slope(fn, x, h)
    ag = autograd_slope(fn, x)
    one = ag > 0.5
    nan = float("nan")
    return {"max_abs_diff": float((fd - ag).abs().max()),
            "mean_fd_where_ste_is_1": float(fd[one].mean()) if one.any() else nan,
            "mean_fd_where_ste_is_0": float(fd[~one].mean()) if (~one).any() else nan}
