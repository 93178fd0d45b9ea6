"""Per-module memory bars (ch01, ch05)."""

from __future__ import annotations

from torch import nn

from qtlib.eval.memory import KINDS, module_breakdown
from qtlib.plots._common import SERIES, Plot, bytes_unit, new_figure


def memory_bars(model: nn.Module, *, by: str = "kind", top: int = 12,
                title: str | None = None) -> Plot:
    """Horizontal bars of stored bytes per kind (``by="kind"``) or per module (``"module"``).

    For ``by="module"`` the ``top`` largest modules are shown, coloured by kind. The description
    lists the largest entries with their share of the total.
    """
    frame = module_breakdown(model, by=by)
    if by == "module":
        frame = frame.sort_values("bytes", ascending=False).head(top).iloc[::-1]
        labels = list(frame["module"])
    else:
        frame = frame.iloc[::-1]
        labels = list(frame["kind"])
    total = int(module_breakdown(model)["bytes"].sum())
    div, unit = bytes_unit(max(float(frame["bytes"].max()), 1.0))
    colours = [SERIES[KINDS.index(k) % len(SERIES)] for k in frame["kind"]]
    fig = new_figure(6.4, 1.2 + 0.35 * len(frame))
    ax = fig.add_subplot()
    ax.barh(labels, frame["bytes"] / div, color=colours, edgecolor="black", linewidth=0.5)
    ax.set_xlabel(f"stored bytes ({unit})")
    ax.set_title(title or f"{type(model).__name__}: bytes by {by}")
    ax.grid(True, axis="x", alpha=0.3)
    ranked = frame.sort_values("bytes", ascending=False)
    total_div, total_unit = bytes_unit(total)
    parts = [f"{(row.module if by == 'module' else row.kind)} {row.bytes / div:.3g} {unit} "
             f"({100 * row.bytes / total:.1f}%)" for row in ranked.head(5).itertuples()
             if total > 0]
    text = (f"Bar chart of the bytes {type(model).__name__} stores (parameters and buffers), "
            f"by {by}; total {total / total_div:.3g} {total_unit}. Largest: "
            + "; ".join(parts) + ".")
    return Plot(fig, text)
