"""Trade-off scatter with the Pareto front highlighted (ch05)."""

from __future__ import annotations

from collections.abc import Sequence

from qtlib.eval.results import Result, pareto_mask
from qtlib.plots._common import (
    MARKERS,
    OKABE_ITO,
    SERIES,
    Plot,
    bytes_unit,
    metric_info,
    new_figure,
)


def tradeoff_scatter(results: Sequence[Result], x: str = "size_bytes", y: str = "accuracy", *,
                     x_sense: str | None = None, y_sense: str | None = None,
                     title: str | None = None) -> Plot:
    """Scatter ``y`` against ``x`` for each result, the Pareto front drawn as a line.

    Senses (``"min"``/``"max"``) default to the metric's usual one (size and latency: min;
    accuracy, cosine, SQNR: max). Byte metrics are shown in B/KiB/MiB/GiB. Returns
    ``Plot(figure, description)``; the description names the front and what it dominates.
    """
    if not results:
        raise ValueError("results is empty")
    for r in results:
        missing = [m for m in (x, y) if m not in r.metrics]
        if missing:
            raise ValueError(f"result {r.label!r} has no metric {missing}; "
                             f"it has {sorted(r.metrics)}")
    (x_name, x_unit, x_default), (y_name, y_unit, y_default) = metric_info(x), metric_info(y)
    x_sense, y_sense = x_sense or x_default, y_sense or y_default
    xs = [float(r.metrics[x]) for r in results]
    ys = [float(r.metrics[y]) for r in results]
    xdiv, xu = bytes_unit(max(xs)) if x_unit == "bytes" else (1.0, x_unit)
    ydiv, yu = bytes_unit(max(ys)) if y_unit == "bytes" else (1.0, y_unit)
    front = pareto_mask(list(zip(xs, ys, strict=True)), [x_sense, y_sense])

    fig = new_figure()
    ax = fig.add_subplot()
    for i, r in enumerate(results):
        ax.scatter(xs[i] / xdiv, ys[i] / ydiv, s=70 if front[i] else 40,
                   color=SERIES[i % len(SERIES)], marker=MARKERS[i % len(MARKERS)],
                   edgecolor=OKABE_ITO[0] if front[i] else "none", linewidth=1.5,
                   label=r.label + (" (Pareto front)" if front[i] else ""), zorder=3)
    on_front = sorted((xs[i] / xdiv, ys[i] / ydiv) for i in range(len(results)) if front[i])
    if len(on_front) > 1:
        ax.plot(*zip(*on_front, strict=True), color=OKABE_ITO[0], linestyle="--", linewidth=1,
                label="Pareto front", zorder=2)
    better = {"min": "lower is better", "max": "higher is better"}
    ax.set_xlabel(f"{x_name}" + (f" ({xu})" if xu else "") + f", {better[x_sense]}")
    ax.set_ylabel(f"{y_name}" + (f" ({yu})" if yu else "") + f", {better[y_sense]}")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    ax.set_title(title or f"{y_name} vs {x_name}")

    def fmt(i: int) -> str:
        return (f"{results[i].label} ({xs[i] / xdiv:.4g} {xu or ''}, "
                f"{ys[i] / ydiv:.4g} {yu or ''})").replace(" ,", ",").replace(" )", ")")

    front_names = [fmt(i) for i in range(len(results)) if front[i]]
    dominated = [results[i].label for i in range(len(results)) if not front[i]]
    text = (f"Scatter plot of {y_name} ({better[y_sense]}) against {x_name} "
            f"({better[x_sense]}) for {len(results)} configurations. "
            f"{len(front_names)} of them form the Pareto front, where no other configuration is "
            f"better on both axes: {'; '.join(front_names)}. ")
    text += (f"Dominated, so never the best choice on these two figures: {', '.join(dominated)}."
             if dominated else "No configuration is dominated.")
    return Plot(fig, text)
