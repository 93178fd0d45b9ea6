"""Where parameters, FLOPs and bytes go: stacked share bars and share curves (ch01)."""

from __future__ import annotations

from collections.abc import Sequence

from qtlib.eval.anatomy import COMPONENTS, LABELS, METRICS, Breakdown
from qtlib.plots._common import SERIES, Plot, new_figure
from qtlib.utils.formatting import format_bytes

#: How each metric is named on an axis and in a text alternative.
METRIC_NAMES = {"params": "parameters", "flops": "FLOPs per forward", "bytes": "weight bytes"}


def format_count(value: float, metric: str) -> str:
    """``value`` of ``metric`` in words: ``"22.6 M parameters"``, ``"2.87 GFLOP"``, ``"90.3 MB"``.

    Bytes in the course's decimal units (:func:`qtlib.utils.formatting.format_bytes`).
    """
    if metric == "bytes":
        return format_bytes(value)
    for div, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, "")):
        if abs(value) >= div or div == 1.0:
            number = f"{value / div:.3g}"
            if metric == "flops":
                return f"{number} {prefix}FLOP"
            return f"{number} {prefix} parameters" if prefix else f"{number} parameters"
    raise AssertionError("unreachable")


def _colour(component: str) -> str:
    return SERIES[COMPONENTS.index(component) % len(SERIES)]


def anatomy_bars(breakdowns: Breakdown | Sequence[Breakdown],
                 metrics: Sequence[str] = METRICS, *, title: str | None = None) -> Plot:
    """Stacked horizontal bars: each component's share of each metric, one bar per model x metric.

    Every bar spans 0-100 %; its total is written at its right end (parameters, FLOPs of one
    forward pass over ``dims.seq_len`` tokens, weight bytes at the breakdown's ``weight_bits``).
    The description lists, per bar, the total and every component's share of at least 1 %.
    """
    items = [breakdowns] if isinstance(breakdowns, Breakdown) else list(breakdowns)
    if not items or not all(isinstance(b, Breakdown) for b in items):
        raise TypeError("breakdowns must be a Breakdown or a non-empty list of them "
                        "(qtlib.eval.anatomy.breakdown(dims))")
    bad = [m for m in metrics if m not in METRICS]
    if bad or not metrics:
        raise ValueError(f"metrics must be a non-empty subset of {METRICS}, got {list(metrics)}")
    bars = [(b, m) for b in items for m in metrics]
    fig = new_figure(7.6, 1.7 + 0.42 * len(bars))
    ax = fig.add_subplot()
    labels, sentences = [], []
    for row, (b, metric) in enumerate(bars):
        shares, total = b.shares(metric), b.total(metric)
        left = 0.0
        for c in COMPONENTS:
            width = 100 * shares[c]
            ax.barh(row, width, left=left, color=_colour(c), edgecolor="black", linewidth=0.4,
                    label=LABELS[c] if row == 0 else None)
            if width >= 9:
                ax.text(left + width / 2, row, f"{width:.0f}%", ha="center", va="center",
                        fontsize=7)
            left += width
        ax.text(101, row, format_count(total, metric), va="center", fontsize=8)
        name = METRIC_NAMES[metric] + (f" ({b.weight_bits}-bit weights)" if metric == "bytes"
                                       else "")
        labels.append(f"{b.dims.name}: {name}" if len(items) > 1 else name)
        parts = [f"{LABELS[c]} {100 * shares[c]:.0f}%" for c in COMPONENTS if shares[c] >= 0.01]
        sentences.append(f"{labels[-1]}, total {format_count(total, metric)}: "
                         + (", ".join(parts) if parts else "nothing") + ".")
    ax.set_yticks(range(len(bars)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 128)
    ax.set_xticks([0, 25, 50, 75, 100])
    ax.set_xlabel("share of the total (%)")
    fig.legend(fontsize=7, ncols=3, loc="outside lower center", frameon=False)
    models = ", ".join(dict.fromkeys(b.dims.name for b in items))
    ax.set_title(title or f"Where the parameters, FLOPs and bytes go: {models}", fontsize=9)
    text = (f"Stacked bars of each component's share (%) per model and figure, "
            f"T = {', '.join(str(b.dims.seq_len) for b in items)} tokens. " + " ".join(sentences))
    return Plot(fig, text)


def share_curves(frame, *, metric: str = "flops", logx: bool = True,
                 title: str | None = None) -> Plot:
    """Lines of each component's share of ``metric`` against the swept field.

    ``frame`` is :func:`qtlib.eval.anatomy.sweep`'s DataFrame (index: the values of one field,
    columns: components). Components whose share stays below 0.5 % are left out. The description
    gives every shown component's share at the first and last value and where the largest
    component changes.
    """
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    missing = [c for c in COMPONENTS if c not in getattr(frame, "columns", ())]
    if missing or len(frame) < 2:
        raise ValueError("frame must be qtlib.eval.anatomy.sweep(...)'s result with at least "
                         "two rows")
    field = frame.index.name or "value"
    fig = new_figure(6.4, 3.6)
    ax = fig.add_subplot()
    shown = [c for c in COMPONENTS if frame[c].max() >= 0.005]
    for i, c in enumerate(shown):
        ax.plot(frame.index, 100 * frame[c], color=_colour(c), marker="os^Dv"[i % 5],
                markersize=4, label=LABELS[c])
    if logx:
        ax.set_xscale("log", base=2)
    ax.set_xlabel(field.replace("_", " ") + (" (log scale)" if logx else ""))
    ax.set_ylabel(f"share of {METRIC_NAMES[metric]} (%)")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    ax.set_title(title or f"How the shares of {METRIC_NAMES[metric]} move with {field}",
                 fontsize=9)
    first, last = frame.index[0], frame.index[-1]
    leaders = frame[list(COMPONENTS)].idxmax(axis=1)
    changes = [f"{LABELS[leaders.iloc[i]]} leads from {field} = {frame.index[i]}"
               for i in range(len(frame)) if i == 0 or leaders.iloc[i] != leaders.iloc[i - 1]]
    text = (f"Line plot of each component's share of {METRIC_NAMES[metric]} as {field} goes from "
            f"{first} to {last}: "
            + "; ".join(f"{LABELS[c]} {100 * frame[c].iloc[0]:.0f}% -> "
                        f"{100 * frame[c].iloc[-1]:.0f}%" for c in shown)
            + ". " + "; ".join(changes) + ".")
    return Plot(fig, text)


__all__ = ["METRIC_NAMES", "anatomy_bars", "format_count", "share_curves"]
