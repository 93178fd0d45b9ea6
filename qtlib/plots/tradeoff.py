"""Trade-off scatter with the Pareto front, for records or a results table (ch05).

One figure serves the whole course: :func:`tradeoff_scatter` takes a list of
:class:`~qtlib.eval.Result` records or the DataFrame of :func:`qtlib.eval.results_table` (a sweep),
looks each axis up in :data:`qtlib.eval.METRICS` for its label, unit and direction, draws the
Pareto front (:func:`qtlib.eval.pareto_rows`) and can ring one chosen row (the explorer's
choice). It returns ``Plot(figure, description)``; the description is the text alternative.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from qtlib.eval.catalog import metric
from qtlib.eval.results import Result, pareto_rows, results_table
from qtlib.plots._common import MARKERS, OKABE_ITO, SERIES, Plot, bytes_unit, new_figure

#: Marker of a ``marker_by`` group: the first group gets a circle, the next a square, ...
_GROUP_MARKERS = ("o", "s", "^", "D")


def _as_table(data: Sequence[Result] | pd.DataFrame) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        if "label" not in data.columns:
            raise ValueError("the table has no 'label' column; build it with results_table()")
        if data.empty:
            raise ValueError("the table is empty")
        return data
    if not data:
        raise ValueError("results is empty")
    return results_table(list(data))


def tradeoff_scatter(data: Sequence[Result] | pd.DataFrame, x: str = "size_bytes",
                     y: str = "accuracy", *, x_sense: str | None = None,
                     y_sense: str | None = None, group_by: str | None = None,
                     marker_by: str | None = None, highlight: Any = None,
                     title: str | None = None) -> Plot:
    """Scatter ``y`` against ``x``, one point per row, the Pareto front drawn as a dashed line.

    Args:
        data: records or a results table (one row per configuration).
        x, y: metric names (columns); senses default to the catalog's (size, latency: min;
            accuracy, cosine, SQNR, speedup: max). Byte metrics are scaled to kB/MB/GB.
        group_by: a column whose values share a colour (e.g. ``"method"``); by default every
            row is its own legend entry.
        marker_by: a column whose values share a marker (e.g. ``"keep_float"``).
        highlight: a row (``pd.Series`` from the table, or its label) ringed as "your choice".
    """
    table = _as_table(data)
    for axis, column in (("x", x), ("y", y)):
        if column not in table.columns:
            what = "has no metric" if not isinstance(data, pd.DataFrame) else "is not a column"
            raise ValueError(f"{axis}={column!r} {what}: the data has "
                             f"{sorted(c for c in table.columns if c not in ('label', 'task'))}")
    mx, my = metric(x), metric(y)
    x_sense, y_sense = x_sense or mx.sense, y_sense or my.sense
    xs, ys = table[x].astype(float), table[y].astype(float)
    xdiv, xu = bytes_unit(float(xs.max())) if mx.unit == "bytes" else (1, mx.unit)
    ydiv, yu = bytes_unit(float(ys.max())) if my.unit == "bytes" else (1, my.unit)
    front = pareto_rows(table, {x: x_sense, y: y_sense})

    fig = new_figure(7.5, 4.6)
    ax = fig.add_subplot()
    groups = list(dict.fromkeys(table[group_by])) if group_by else list(table["label"])
    shapes = list(dict.fromkeys(table[marker_by])) if marker_by else []
    for i, (idx, row) in enumerate(table.iterrows()):
        g = groups.index(row[group_by]) if group_by else i
        marker = (_GROUP_MARKERS[shapes.index(row[marker_by]) % len(_GROUP_MARKERS)]
                  if marker_by else MARKERS[g % len(MARKERS)])
        first_of_group = not group_by or table[group_by].tolist().index(row[group_by]) == i
        name = row[group_by] if group_by else row["label"]
        on = bool(front.loc[idx])
        ax.scatter(row[x] / xdiv, row[y] / ydiv, s=70 if on else 40,
                   color=SERIES[g % len(SERIES)], marker=marker,
                   edgecolor=OKABE_ITO[0] if on else "none", linewidth=1.5, zorder=3,
                   label=(str(name) + ("" if group_by or not on else " (Pareto front)"))
                   if first_of_group else None)
    points = sorted(zip(xs[front] / xdiv, ys[front] / ydiv, strict=True))
    if points:
        ax.plot(*zip(*points, strict=True), color=OKABE_ITO[0], linestyle="--", linewidth=1,
                label="Pareto front", zorder=2)
    chosen = None
    if highlight is not None:
        chosen = highlight if isinstance(highlight, pd.Series) else \
            table[table["label"] == highlight].iloc[0]
        ax.scatter([chosen[x] / xdiv], [chosen[y] / ydiv], s=260, facecolor="none",
                   edgecolor=OKABE_ITO[6], linewidth=2.2, label="your choice", zorder=5)
    ax.set_xlabel(mx.axis_label(unit=xu, sense=x_sense))
    ax.set_ylabel(my.axis_label(unit=yu, sense=y_sense))
    ax.grid(True, alpha=0.3)
    legend_title = f"{', '.join(map(str, shapes[1:]))}: other markers" if len(shapes) > 1 else None
    ax.legend(fontsize="small", title=legend_title, title_fontsize="x-small")
    ax.set_title(title or f"{my.label} vs {mx.label}")

    def fmt(row: pd.Series) -> str:
        return (f"{row['label']} ({row[x] / xdiv:.4g}{' ' + xu if xu else ''}, "
                f"{row[y] / ydiv:.4g}{' ' + yu if yu else ''})")

    better = {"min": "lower is better", "max": "higher is better"}
    on_front = [fmt(r) for _, r in table[front].iterrows()]
    dominated = list(table.loc[~front, "label"])
    text = (f"Scatter plot of {my.label} ({better[y_sense]}) against {mx.label} "
            f"({better[x_sense]}) for {len(table)} configurations. "
            f"{len(on_front)} of them form the Pareto front, where no other configuration is "
            f"at least as good on both axes and better on one: {'; '.join(on_front)}. ")
    text += (f"Dominated, so never the best choice on these two figures: "
             f"{', '.join(map(str, dominated))}." if dominated
             else "No configuration is dominated.")
    if chosen is not None:
        text += f" The ringed point is {fmt(chosen)}."
    return Plot(fig, text)

