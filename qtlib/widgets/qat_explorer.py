"""ch06's explorer: bits and method (PTQ, QAT, LSQ) -> TinyViT accuracy, with training curves.

The callback :func:`qat_view` is a plain function of a sweep table (the shipped record,
``qtlib.experiments.ch06_qat.recorded_table()``, or ``run_sweep``'s table) and the chosen
setting and method: it returns the text and the figure (as PNG bytes) the widget shows, without
touching a model, so it answers in milliseconds. :func:`qat_widget` wires it to two dropdowns.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from qtlib.plots import figure_png, qat_curves

METHOD_NAMES = {"ptq": "post-training (no training)", "qat": "QAT, min-max scales",
                "lsq": "QAT, learned scales (LSQ)"}


def qat_view(table: pd.DataFrame, setting: str, method: str, float_accuracy: float,
             figures: dict[str, tuple[bytes, str]] | None = None) -> dict[str, Any]:
    """``{"text": str, "png": bytes, "description": str}`` for ``setting`` (e.g. ``"W3A4"``)
    and ``method`` (``"ptq"``, ``"qat"`` or ``"lsq"``) from the sweep ``table``.

    The figure depends on the setting only; ``figures`` (setting -> (png, description)) keeps
    the ones drawn so far, so a later call for that setting only formats text (milliseconds).
    """
    rows = table[table["setting"] == setting]
    if rows.empty:
        raise ValueError(f"setting {setting!r} is not in the sweep; choose one of "
                         f"{sorted(table['setting'].unique())}")
    by_method = {r["method"]: r for _, r in rows.iterrows()}
    if method not in by_method:
        raise ValueError(f"method {method!r} is not in the sweep for {setting}; choose one of "
                         f"{sorted(by_method)}")
    row = by_method[method]
    acc = 100 * row["accuracy"]
    gap = 100 * float_accuracy - acc
    text = (f"{setting}, {METHOD_NAMES.get(method, method)}: test accuracy {acc:.1f}% "
            f"({gap:+.1f} points below float32 {100 * float_accuracy:.1f}%)")
    if row["steps"]:
        text += f"; {int(row['steps'])} training steps in {row['train_s']:.0f} s"
    text += f"; integer model agrees on {100 * row['agreement']:.1f}% of test images"
    if figures is None or setting not in figures:
        plot = qat_curves(setting, {m: r["accuracy"] for m, r in by_method.items()},
                          {m: list(r["losses"]) for m, r in by_method.items() if r["steps"]},
                          float_accuracy)
        drawn = (figure_png(plot.figure), plot.description)
        if figures is None:
            figures = {}
        figures[setting] = drawn
    png, description = figures[setting]
    return {"text": text, "png": png, "description": description}


def qat_widget(table: pd.DataFrame, float_accuracy: float, setting: str | None = None,
               method: str = "qat"):
    """Two dropdowns (setting, method) over the sweep ``table``; shows :func:`qat_view`.

    Returns the ``ipywidgets.VBox``; display it (it is the last expression of a cell).
    """
    import ipywidgets as widgets

    settings = list(dict.fromkeys(table["setting"]))
    methods = list(dict.fromkeys(table["method"]))
    setting_box = widgets.Dropdown(options=settings, value=setting or settings[-1],
                                   description="bits")
    method_box = widgets.Dropdown(options=[(METHOD_NAMES.get(m, m), m) for m in methods],
                                  value=method, description="method")
    result = widgets.HTML()
    result.add_class("qt-qat-result")
    image = widgets.Image(format="png")
    description = widgets.HTML()

    figures: dict[str, tuple[bytes, str]] = {}
    for name in settings:  # drawn once here, so every control change is a lookup
        qat_view(table, name, methods[0], float_accuracy, figures)

    def show(_: Any = None) -> None:
        view = qat_view(table, setting_box.value, method_box.value, float_accuracy, figures)
        result.value = f"<pre>{view['text']}</pre>"
        image.value = view["png"]
        description.value = f"<small>{view['description']}</small>"

    setting_box.observe(show, names="value")
    method_box.observe(show, names="value")
    show()
    box = widgets.VBox([widgets.HBox([setting_box, method_box]), result, image, description])
    box.add_class("qt-qat-explorer")
    return box
