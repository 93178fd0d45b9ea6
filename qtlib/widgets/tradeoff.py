"""Chapter 5's trade-off explorer: pick a recipe, see where it lands on the Pareto plot.

The table is the cached sweep (:func:`qtlib.experiments.ch05_tradeoffs.run_sweep`), one row per
recipe; axis labels, units and directions come from :data:`qtlib.eval.METRICS`. The
callbacks are plain functions that tests call without a browser:

* :func:`settings_for` / :func:`keep_float_for`: the choices the dropdowns offer for a method;
* :func:`select`: the row of a (method, setting, keep_float) choice;
* :func:`describe`: the chosen recipe's figures as Markdown, relative to float32 and the front
  (the front is :func:`qtlib.eval.pareto_rows`);
* :func:`draw`: :func:`qtlib.plots.tradeoff_scatter` with the chosen point ringed;
* :func:`explore`: all of the above for one choice (what the widget calls on every change).

:func:`tradeoff_widget` only wires :func:`explore` to ipywidgets controls. Nothing is measured
here, so a change answers in well under 300 ms.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import pandas as pd

from qtlib.eval.catalog import metric
from qtlib.eval.results import pareto_rows
from qtlib.plots._common import figure_png
from qtlib.plots.tradeoff import tradeoff_scatter

#: The columns the explorer offers as axes (labels, units and directions: qtlib.eval.METRICS).
AXES: tuple[str, ...] = ("minilm_latency_ms", "minilm_speedup", "minilm_size_mb",
                         "minilm_cos_mean", "minilm_cos_min", "vit_accuracy", "vit_size_kb")
REQUIRED_COLUMNS = ("method", "setting", "keep_float", "label")


def _check_table(table: Any) -> pd.DataFrame:
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a pandas DataFrame (the sweep), got {type(table).__name__}")
    missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"table lacks the columns {missing}; pass the result of run_sweep()")
    return table


def _check_metric(table: pd.DataFrame, column: str, argument: str) -> None:
    if column not in AXES:
        raise ValueError(f"{argument} must be one of {sorted(AXES)}, got {column!r}")
    if column not in table.columns:
        raise ValueError(f"{argument}={column!r} is not a column of the table")


def settings_for(table: pd.DataFrame, method: str) -> list[str]:
    """Settings measured for ``method``, in table order (e.g. ``['minmax', 'percentile']``)."""
    rows = _check_table(table)[table["method"] == method]
    if rows.empty:
        raise ValueError(f"method must be one of {list(dict.fromkeys(table['method']))}, "
                         f"got {method!r}")
    return list(dict.fromkeys(rows["setting"]))


def keep_float_for(table: pd.DataFrame, method: str, setting: str) -> list[str]:
    """Layer groups that can stay float for this method and setting, in table order."""
    rows = _check_table(table)
    rows = rows[(rows["method"] == method) & (rows["setting"] == setting)]
    if rows.empty:
        raise ValueError(f"setting must be one of {settings_for(table, method)} for {method}, "
                         f"got {setting!r}")
    return list(dict.fromkeys(rows["keep_float"]))


def select(table: pd.DataFrame, method: str, setting: str, keep_float: str) -> pd.Series:
    """The one row measured for this choice; ValueError naming the argument when absent."""
    groups = keep_float_for(table, method, setting)
    if keep_float not in groups:
        raise ValueError(f"keep_float must be one of {groups} for {method} {setting}, "
                         f"got {keep_float!r}")
    rows = table[(table["method"] == method) & (table["setting"] == setting)
                 & (table["keep_float"] == keep_float)]
    return rows.iloc[0]


@dataclass
class View:
    """What the explorer shows for one choice: the row, the front, the text and the figure."""

    row: pd.Series
    on_front: pd.Series
    text: str
    figure: Any


def _fmt(column: str, value: float) -> str:
    if pd.isna(value):
        return "n/a"
    if column.endswith("_ms"):
        return f"{value:.1f} ms"
    if column.endswith("_mb"):
        return f"{value:.1f} MB"
    if column.endswith("_kb"):
        return f"{value:.1f} kB"
    if column == "minilm_speedup":
        return f"{value:.2f}x"
    if column == "vit_accuracy":
        return f"{100 * value:.1f}%"
    return f"{value:.4f}"


def describe(table: pd.DataFrame, row: pd.Series, x: str, y: str) -> str:
    """Markdown: the recipe's figures (and float32's), and whether it is on the (x, y) front.

    Doubles as the figure's text alternative: it names both axes and the chosen point.
    """
    _check_table(table)
    _check_metric(table, x, "x")
    _check_metric(table, y, "y")
    mask = pareto_rows(table, {x: metric(x).sense, y: metric(y).sense})
    base = table[table["method"] == "float32"]
    lines = [f"**{row['label']}**", ""]
    lines.append("| figure | this recipe | float32 |")
    lines.append("|---|---|---|")
    for column in AXES:
        if column in table.columns:
            name = metric(column).label
            ref = base[column].iloc[0] if not base.empty else float("nan")
            lines.append(f"| {name} | {_fmt(column, row[column])} | {_fmt(column, ref)} |")
    front = table.loc[mask, "label"].tolist()
    on = bool(mask.loc[row.name])
    verdict = ("is on the Pareto front: no other recipe is both better on "
               f"*{metric(x).label}* and on *{metric(y).label}*." if on else
               "is dominated: another recipe is at least as good on both axes and better on one.")
    lines += ["", f"This recipe {verdict}",
              f"The plot shows {len(table)} recipes, {metric(y).label} against {metric(x).label}; "
              f"{len(front)} are on the front: {', '.join(front)}."]
    return "\n".join(lines)


def draw(table: pd.DataFrame, row: pd.Series | None, x: str, y: str) -> Any:
    """The trade-off scatter (:func:`qtlib.plots.tradeoff_scatter`): a colour per method, squares
    for recipes with a layer group kept in float, the Pareto front dashed, ``row`` ringed.
    Returns the matplotlib Figure."""
    _check_table(table)
    _check_metric(table, x, "x")
    _check_metric(table, y, "y")
    return tradeoff_scatter(table, x, y, group_by="method", marker_by="keep_float",
                            highlight=row, title="Recipes: trade-off and Pareto front").figure


def explore(table: pd.DataFrame, method: str, setting: str, keep_float: str, *,
            x: str = "minilm_latency_ms", y: str = "minilm_cos_mean", figure: bool = True) -> View:
    """The callback: this choice's row, the front, its description and (optionally) the plot."""
    _check_table(table)
    _check_metric(table, x, "x")
    _check_metric(table, y, "y")
    row = select(table, method, setting, keep_float)
    mask = pareto_rows(table, {x: metric(x).sense, y: metric(y).sense})
    text = describe(table, row, x, y)
    fig = draw(table, row, x, y) if figure else None
    return View(row=row, on_front=mask, text=text, figure=fig)


def tradeoff_widget(table: pd.DataFrame, *, method: str = "dynamic_int8",
                    x: str = "minilm_latency_ms", y: str = "minilm_cos_mean"):
    """Dropdowns for method, setting, layers kept in float and both axes, wired to :func:`explore`.

    Returns the ``ipywidgets.VBox``; the plot and the figures update on every change, and the
    box's ``last_view`` attribute holds the :class:`View` on screen.
    """
    import ipywidgets as widgets
    from IPython.display import Image, Markdown, display

    _check_table(table)
    methods = list(dict.fromkeys(table["method"]))
    if method not in methods:
        raise ValueError(f"method must be one of {methods}, got {method!r}")
    axes = [(metric(c).axis_label(), c) for c in AXES if c in table.columns]
    w_method = widgets.Dropdown(options=methods, value=method, description="method")
    w_setting = widgets.Dropdown(options=settings_for(table, method), description="setting")
    w_keep = widgets.Dropdown(options=keep_float_for(table, method, w_setting.value),
                              description="keep float")
    w_x = widgets.Dropdown(options=axes, value=x, description="x axis",
                           layout=widgets.Layout(width="480px"))
    w_y = widgets.Dropdown(options=axes, value=y, description="y axis",
                           layout=widgets.Layout(width="480px"))
    out = widgets.Output()
    headline = widgets.HTML()

    busy = False  # True while one change updates the other dropdowns: refresh once, at the end

    def refresh(*_: Any) -> None:
        if busy:
            return
        view = explore(table, w_method.value, w_setting.value, w_keep.value, x=w_x.value,
                       y=w_y.value)
        box.last_view = view  # what is on screen, for tests and for the curious
        verdict = "on the Pareto front" if view.on_front.loc[view.row.name] else "dominated"
        headline.value = (f"<b class='qt-tradeoff-choice'>{html.escape(view.row['label'])}: "
                          f"{verdict}</b>")
        out.clear_output(wait=True)
        with out:
            display(Image(data=figure_png(view.figure)))
            display(Markdown(view.text))

    def set_choices(method: str, setting: str | None = None) -> None:
        nonlocal busy
        busy = True
        try:
            if setting is None:
                settings = settings_for(table, method)
                w_setting.options = settings
                w_setting.value = setting = settings[0]
            groups = keep_float_for(table, method, setting)
            keep = w_keep.value if w_keep.value in groups else groups[0]
            w_keep.options = groups
            w_keep.value = keep
        finally:
            busy = False
        refresh()

    def on_method(change: dict) -> None:
        if not busy:
            set_choices(change["new"])

    def on_setting(change: dict) -> None:
        if not busy:
            set_choices(w_method.value, change["new"])

    controls = widgets.HBox([widgets.VBox([w_method, w_setting, w_keep]),
                             widgets.VBox([w_x, w_y])])
    box = widgets.VBox([controls, headline, out])
    box.add_class("qt-tradeoff-explorer")
    w_method.observe(on_method, names="value")
    w_setting.observe(on_setting, names="value")
    for w in (w_keep, w_x, w_y):
        w.observe(refresh, names="value")
    refresh()
    return box
