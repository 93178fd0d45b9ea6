"""Budget lines on a trade-off scatter: where a candidate stops being shippable.

``with_budgets(plot, x=..., y=...)`` draws a vertical line at the x budget and a horizontal line
at the y budget on a :func:`qtlib.plots.tradeoff_scatter` figure, shades the side that misses
them, and extends the text alternative with the budgets. Used by the capstone explorer.
"""

from __future__ import annotations

from qtlib.plots._common import OKABE_ITO, Plot


def with_budgets(plot: Plot, *, x: tuple[float, str, str] | None = None,
                 y: tuple[float, str, str] | None = None) -> Plot:
    """``plot`` with budget lines; ``x``/``y`` = ``(limit in axis units, "min"|"max", label)``.

    ``"max"`` means the value must be at most the limit (size), ``"min"`` at least (cosine,
    speedup). The figure is changed in place and returned with a longer description.
    """
    ax = plot.figure.axes[0]
    parts = []
    for axis, budget in (("x", x), ("y", y)):
        if budget is None:
            continue
        limit, kind, label = budget
        if kind not in ("min", "max"):
            raise ValueError(f"{axis} budget kind must be 'min' or 'max', got {kind!r}")
        line = ax.axvline if axis == "x" else ax.axhline
        line(limit, color=OKABE_ITO[5], linestyle=":", linewidth=1.6,
             label=f"budget: {label}", zorder=1)
        lo, hi = ax.get_xlim() if axis == "x" else ax.get_ylim()
        bad = (limit, max(hi, limit)) if kind == "max" else (min(lo, limit), limit)
        span = ax.axvspan if axis == "x" else ax.axhspan
        span(*bad, color=OKABE_ITO[5], alpha=0.08, zorder=0)
        parts.append(f"{label} ({'at most' if kind == 'max' else 'at least'} {limit:g}, "
                     f"{'vertical' if axis == 'x' else 'horizontal'} dotted line; the shaded "
                     "side misses it)")
    ax.legend(fontsize="small")
    text = plot.description
    if parts:
        text += " Budgets drawn: " + "; ".join(parts) + "."
    return Plot(plot.figure, text)
