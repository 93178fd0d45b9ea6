"""Figures of chapter 3: per-layer sensitivity, the mixed-precision curve, SmoothQuant's
migration of ranges (ch03)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from qtlib.plots._common import SERIES, Plot, new_figure


def sensitivity_bars(drops: Mapping[str, float], *, top: int = 12,
                     metric: str = "1 - cosine (mean)") -> Plot:
    """Horizontal bars of the ``top`` largest fidelity drops ``{layer: drop}`` (a float >= 0,
    e.g. ``1 - cosine``), most sensitive on top, log scale."""
    if not drops:
        raise ValueError("drops is empty")
    order = sorted(drops, key=lambda n: (-drops[n], n))[:top]
    values = [max(float(drops[n]), 1e-12) for n in order]
    fig = new_figure(7.0, 0.28 * len(order) + 1.2)
    ax = fig.add_subplot()
    ax.barh(range(len(order))[::-1], values, color=SERIES[0])
    ax.set_yticks(range(len(order))[::-1], order, fontsize=7)
    ax.set_xscale("log")
    ax.set_xlabel(f"fidelity drop with only this layer W8A8: {metric}")
    ax.set_title(f"the {len(order)} most sensitive of {len(drops)} layers")
    rest = sorted(float(v) for v in drops.values())
    nexts = ", ".join(f"{n} ({v:.2e})" for n, v in zip(order[1:3], values[1:3], strict=False))
    text = (f"Horizontal bar chart, log scale, of the fidelity drop ({metric}) when only one of "
            f"{len(drops)} layers is quantized. The most sensitive is {order[0]} at "
            f"{values[0]:.2e}, then {nexts or 'no other'}; the median layer is at "
            f"{rest[len(rest) // 2]:.2e}.")
    return Plot(fig, text)


def size_fidelity_curve(rows: Sequence[Mapping[str, float]], *, x: str = "weight_bytes",
                        y: str = "cosine_mean") -> Plot:
    """Fidelity ``y`` against the weights' bytes ``x`` (MB) for rows ``{"k", x, y}``: keep the
    ``k`` most sensitive layers in float, quantize the rest."""
    if not rows:
        raise ValueError("rows is empty")
    xs = [float(r[x]) / 1e6 for r in rows]
    ys = [float(r[y]) for r in rows]
    fig = new_figure(6.4, 3.4)
    ax = fig.add_subplot()
    ax.plot(xs, ys, marker="o", color=SERIES[4])
    for r, a, b in zip(rows, xs, ys, strict=True):
        ax.annotate(f"k={r['k']}", (a, b), textcoords="offset points", xytext=(4, -10), fontsize=7)
    ax.set_xlabel("linear weights (MB, int8 = 1 byte, float32 = 4)")
    ax.set_ylabel(y.replace("_", " "))
    ax.set_title("mixed precision: the k most sensitive layers kept in float")
    text = (f"Line chart of {y} against the linear weights' size in MB as k, the number of most "
            f"sensitive layers kept in float, grows: " + "; ".join(
                f"k={r['k']}: {a:.2f} MB, {b:.4f}" for r, a, b in zip(rows, xs, ys, strict=True))
            + ".")
    return Plot(fig, text)


def migration_ranges(act_absmax: torch.Tensor, weight_absmax: torch.Tensor,
                     scales: torch.Tensor, *, layer: str = "layer") -> Plot:
    """Per input channel, max |X_j| and max |W_j| before (top) and after (bottom) SmoothQuant's
    migration ``X_j / s_j``, ``W_j * s_j``; all float [C], log scale."""
    a, w, s = (t.detach().double().flatten() for t in (act_absmax, weight_absmax, scales))
    if not a.shape == w.shape == s.shape or a.numel() == 0:
        raise ValueError("act_absmax, weight_absmax and scales must be non-empty [C] alike")
    fig = new_figure(7.0, 4.2)
    axes = fig.subplots(2, 1, sharex=True, sharey=True)
    idx = range(a.numel())
    for ax, (act, wt, title) in zip(axes, ((a, w, "before"), (a / s, w * s, "after migration")),
                                    strict=True):
        ax.plot(idx, act.numpy(), color=SERIES[0], linewidth=0.8, label="max |X_j| (activation)")
        ax.plot(idx, wt.numpy(), color=SERIES[4], linewidth=0.8, label="max |W_j| (weight)")
        ax.set_yscale("log")
        ax.set_title(f"{layer}: {title}", fontsize=9)
        ax.set_ylabel("max |value|")
    axes[0].legend(loc="upper right", fontsize=7)
    axes[1].set_xlabel("input channel j")

    def ratio(t: torch.Tensor) -> float:
        return float(t.max() / t.median().clamp(min=1e-12))

    text = (f"Two line charts over the {a.numel()} input channels of {layer}, log scale. Before: "
            f"the activation's largest channel is {ratio(a):.0f}x its median channel, the "
            f"weight's {ratio(w):.1f}x. After dividing the activation by s and multiplying the "
            f"weight by s: {ratio(a / s):.1f}x and {ratio(w * s):.1f}x.")
    return Plot(fig, text)
