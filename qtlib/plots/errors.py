"""Error histograms: how far a quantized output or weight lands from the float one (ch02, ch05)."""

from __future__ import annotations

import math

import torch

from qtlib.plots._common import SERIES, Plot, new_figure


def error_histogram(reference: torch.Tensor, candidate: torch.Tensor, *, bins: int = 60,
                    what: str = "value", log_count: bool = False) -> Plot:
    """Histogram of ``candidate - reference`` (same shape; any float dtype), in ``what``'s units.

    The description gives the mean, standard deviation, largest absolute error and SQNR in dB.
    ``log_count`` puts the count axis on a log scale (rare large errors become visible).
    """
    if reference.shape != candidate.shape:
        raise ValueError(f"reference {tuple(reference.shape)} and candidate "
                         f"{tuple(candidate.shape)} must have the same shape")
    if reference.numel() == 0:
        raise ValueError("reference and candidate are empty")
    err = (candidate.detach().double() - reference.detach().double()).flatten()
    noise = float(err.pow(2).sum())
    sqnr = math.inf if noise == 0 else 10 * math.log10(float(reference.double().pow(2).sum())
                                                       / noise)
    fig = new_figure()
    ax = fig.add_subplot()
    ax.hist(err.numpy(), bins=bins, color=SERIES[4], edgecolor="black", linewidth=0.3)
    ax.axvline(0.0, color="black", linewidth=1)
    ax.set_xlabel(f"error = candidate - reference ({what} units)")
    ax.set_ylabel("count (log scale)" if log_count else "count")
    if log_count:
        ax.set_yscale("log")
    ax.set_title(f"error of {err.numel()} {what}s, SQNR {sqnr:.1f} dB")
    ax.grid(True, alpha=0.3)
    text = (f"Histogram of the error of {err.numel()} {what}s (candidate minus reference). "
            f"Mean {float(err.mean()):.3g}, standard deviation {float(err.std()):.3g}, "
            f"largest absolute error {float(err.abs().max()):.3g}; signal-to-quantization-noise "
            f"ratio {sqnr:.1f} dB.")
    return Plot(fig, text)
