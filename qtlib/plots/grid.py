"""The quantization grid over a histogram, and the error it leaves (ch02's explorer and text).

:func:`quantization_grid` draws two panels: left, the histogram of the values with every level
of the integer grid as a thin vertical line and the clipping range shaded outside; right, the
histogram of the error ``x_hat - x`` with its SQNR. Returns ``Plot(figure, description)``.
"""

from __future__ import annotations

import math

import torch
from matplotlib.figure import Figure
from matplotlib.ticker import LogLocator, MaxNLocator, NullLocator

from qtlib.plots._common import OKABE_ITO, SERIES, Plot


def _stairs(ax, values: torch.Tensor, bins: int, lo: float, hi: float, color: str,
            log: bool) -> None:
    """A filled histogram outline (one artist, fast to draw) of ``values`` over [lo, hi].

    On a log axis, empty bins sit at a baseline of 0.5, below the axis's lower limit of 0.8.
    """
    counts = torch.histc(values.float(), bins=bins, min=lo, max=hi)
    edges = torch.linspace(lo, hi, bins + 1)
    baseline = 0.5 if log else 0.0
    ax.stairs(counts.clamp(min=baseline).numpy(), edges.numpy(), fill=True, color=color,
              baseline=baseline)
    if log:
        ax.set_ylim(0.8, max(float(counts.max()), 1.0) * 2)


def _as_float64(name: str, t: object) -> torch.Tensor:
    if not isinstance(t, torch.Tensor) or not t.is_floating_point():
        raise TypeError(f"{name} must be a float tensor, got {type(t).__name__}")
    if t.numel() == 0:
        raise ValueError(f"{name} is empty")
    return t.detach().double().reshape(-1)


def quantization_grid(x: torch.Tensor, x_hat: torch.Tensor, levels: torch.Tensor, *,
                      clip: tuple[float, float] | None = None, bins: int = 80,
                      title: str = "", log_count: bool = True) -> Plot:
    """Values with the grid of levels (left) and the quantization error (right).

    Args:
        x: the float values (any shape), x_hat: their fake-quantized version (same shape).
        levels: the dequantized grid points (float [L]) drawn as vertical lines (for per-block
            granularities, pass one block's grid and say which in ``title``).
        clip: the ``(low, high)`` range the quantizer covers; outside it is shaded.
        bins: histogram bins; log_count: log-scale count axes (tails stay visible).
    """
    xs, xh = _as_float64("x", x), _as_float64("x_hat", x_hat)
    if xs.shape != xh.shape:
        raise ValueError(f"x and x_hat must have the same number of values, got {xs.numel()} "
                         f"and {xh.numel()}")
    lv = _as_float64("levels", levels)
    err = xh - xs
    noise, signal = float(err.pow(2).sum()), float(xs.pow(2).sum())
    sqnr = math.inf if noise == 0 else 10 * math.log10(max(signal, 1e-300) / noise)
    # no constrained layout and one filled outline per histogram: the explorer redraws this
    # figure on every change, so it must render in a few tens of milliseconds
    fig = Figure(figsize=(9.6, 3.4))
    fig.subplots_adjust(left=0.07, right=0.99, bottom=0.16, top=0.85, wspace=0.18)
    left, right = fig.subplots(1, 2)
    lo_v, hi_v = float(xs.min()), float(xs.max())
    if clip is not None:
        lo_v, hi_v = min(lo_v, clip[0]), max(hi_v, clip[1])
    if hi_v <= lo_v:
        lo_v, hi_v = lo_v - 0.5, hi_v + 0.5
    _stairs(left, xs, bins, lo_v, hi_v, SERIES[1], log_count)
    left.vlines(lv.numpy(), 0, 1, transform=left.get_xaxis_transform(), color=OKABE_ITO[0],
                linewidth=0.4, alpha=0.35 if lv.numel() > 64 else 0.7)
    if clip is not None:
        left.axvspan(lo_v, clip[0], color=SERIES[5], alpha=0.15)
        left.axvspan(clip[1], hi_v, color=SERIES[5], alpha=0.15)
    left.set_xlabel("value (float units); lines: quantization levels")
    left.set_ylabel("count (log scale)" if log_count else "count")
    e_lo, e_hi = float(err.min()), float(err.max())
    if e_hi <= e_lo:
        e_lo, e_hi = e_lo - 0.5, e_hi + 0.5
    _stairs(right, err, bins, e_lo, e_hi, SERIES[4], log_count)
    right.axvline(0.0, color=OKABE_ITO[0], linewidth=0.8)
    right.set_xlabel("error x_hat - x (float units)")
    if log_count:
        for ax in (left, right):
            ax.set_yscale("log")
            ax.yaxis.set_major_locator(LogLocator(numticks=5))
            ax.yaxis.set_minor_locator(NullLocator())   # minor log ticks cost most of a redraw
    for ax in (left, right):
        ax.xaxis.set_major_locator(MaxNLocator(6))
    right.set_title(f"SQNR {sqnr:.1f} dB", fontsize=10)
    if title:
        left.set_title(title, fontsize=9)
    for ax in (left, right):
        ax.grid(True, alpha=0.3)
    n_clip = 0 if clip is None else int(((xs < clip[0]) | (xs > clip[1])).sum())
    step = float((lv[1:] - lv[:-1]).min()) if lv.numel() > 1 else float("nan")
    text = (f"Left: histogram of {xs.numel()} values from {float(xs.min()):.3g} to "
            f"{float(xs.max()):.3g}, with {lv.numel()} quantization levels "
            f"{step:.3g} apart from {float(lv.min()):.3g} to {float(lv.max()):.3g}"
            + (f"; {n_clip} values ({n_clip / xs.numel():.2%}) lie outside the clipping range "
               f"[{clip[0]:.3g}, {clip[1]:.3g}]" if clip is not None else "")
            + f". Right: histogram of the error, largest absolute error "
            f"{float(err.abs().max()):.3g}; SQNR {sqnr:.1f} dB.")
    return Plot(fig, text)
