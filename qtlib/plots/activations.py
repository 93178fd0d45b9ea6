"""Per-channel activation ranges: where the outliers of a layer's input live (ch05)."""

from __future__ import annotations

import torch

from qtlib.plots._common import SERIES, Plot, new_figure


def channel_outliers(x: torch.Tensor, *, what: str = "activation", top: int = 3) -> Plot:
    """Bars of ``max |x|`` per channel (the last dimension of ``x``, any float tensor
    ``[..., C]``) over all other positions, with the median channel's value as a dashed line.

    The description names the ``top`` largest channels, their maxima and their ratio to the
    median channel: a few channels far above the rest are what per-tensor activation scales
    cannot survive.
    """
    if not isinstance(x, torch.Tensor) or x.dim() < 1 or x.numel() == 0:
        raise ValueError("x must be a non-empty tensor [..., channels]")
    peaks = x.detach().double().reshape(-1, x.shape[-1]).abs().amax(dim=0)
    median = float(peaks.median())
    fig = new_figure(7.0, 3.2)
    ax = fig.add_subplot()
    ax.bar(range(peaks.numel()), peaks.numpy(), width=1.0, color=SERIES[0])
    ax.axhline(median, color="black", linestyle="--", linewidth=1, label="median channel")
    ax.set_xlabel("channel")
    ax.set_ylabel(f"max |{what}|")
    ax.set_yscale("log")
    ax.legend(loc="upper right")
    ax.set_title(f"largest |{what}| per channel ({peaks.numel()} channels)")
    order = peaks.argsort(descending=True)[:top].tolist()
    named = ", ".join(f"channel {i}: {float(peaks[i]):.3g} ({float(peaks[i]) / median:.0f}x)"
                      for i in order)
    text = (f"Bar chart of the largest absolute {what} in each of {peaks.numel()} channels "
            f"(log scale). The median channel reaches {median:.3g}; the largest are {named} "
            f"the median.")
    return Plot(fig, text)
