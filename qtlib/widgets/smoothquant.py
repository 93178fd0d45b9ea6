"""Chapter 3's explorer: SmoothQuant's migration strength alpha, layer by layer (ch03).

The callback :func:`explore` is a plain function (tests call it without a browser): from a
record of per-channel maxima (``act_absmax`` and ``weight_absmax`` per layer, as
:func:`qtlib.experiments.ch03_design.recorded` returns them in ``result``) it computes the
smoothing scales for ``alpha`` (:func:`qtlib.methods.smoothquant.smoothing_scales`), the ranges
before and after migration, and how many int8 levels the median channel keeps under one
per-tensor scale. It never runs a model, so it answers well within 300 ms;
:func:`smoothquant_widget` only wires it to a layer dropdown and an alpha slider.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import torch

from qtlib.methods.smoothquant import smoothing_scales
from qtlib.plots._common import figure_png
from qtlib.plots.design import migration_ranges

#: int8 levels on each side of zero under a symmetric per-tensor scale
HALF_LEVELS = 127


@dataclass
class View:
    """What the explorer shows: the numbers, a one-line summary and the figure (or None).

    ``*_ratio``: the largest channel's max over the median channel's (activation, weight; before
    and after); ``median_levels_*``: int8 levels (out of 127 per side) the median activation
    channel spans when one per-tensor scale covers the largest; ``fidelity``: the recorded whole
    model cosine mean at the nearest recorded alpha (SmoothQuant), or None.
    """

    layer: str
    alpha: float
    act_ratio_before: float
    act_ratio_after: float
    weight_ratio_before: float
    weight_ratio_after: float
    median_levels_before: float
    median_levels_after: float
    fidelity: tuple[float, float] | None
    text: str
    figure: Any
    description: str
    seconds: float


def _ratio(t: torch.Tensor) -> float:
    return float(t.max() / t.median().clamp(min=1e-12))


def explore(result: dict[str, Any], layer: str, alpha: float = 0.5, *,
            figure: bool = True) -> View:
    """The callback: SmoothQuant at ``alpha`` on ``layer`` of the record ``result``."""
    start = time.perf_counter()
    if layer not in result["act_absmax"]:
        raise ValueError(f"layer must be one of the record's layers, got {layer!r}")
    a = torch.tensor(result["act_absmax"][layer], dtype=torch.float64)
    w = torch.tensor(result["weight_absmax"][layer], dtype=torch.float64)
    s = smoothing_scales(a, w, float(alpha)).double()
    a2, w2 = a / s, w * s
    levels = (HALF_LEVELS / _ratio(a), HALF_LEVELS / _ratio(a2))
    rows = [r for r in result.get("alpha_table", []) if r["method"] == "SmoothQuant"]
    fid = None
    if rows:
        near = min(rows, key=lambda r: abs(r["alpha"] - alpha))
        fid = (float(near["alpha"]), float(near["cosine_mean"]))
    text = (f"{layer}, alpha={alpha:.2f}: activation max/median {_ratio(a):.1f}x -> "
            f"{_ratio(a2):.1f}x (median channel {levels[0]:.1f} -> {levels[1]:.1f} int8 levels); "
            f"weight {_ratio(w):.1f}x -> {_ratio(w2):.1f}x.")
    if fid is not None:
        text += f" Whole model, recorded at alpha={fid[0]:g}: cosine mean {fid[1]:.4f}."
    plot = migration_ranges(a, w, s, layer=layer) if figure else None
    return View(layer=layer, alpha=float(alpha), act_ratio_before=_ratio(a),
                act_ratio_after=_ratio(a2), weight_ratio_before=_ratio(w),
                weight_ratio_after=_ratio(w2), median_levels_before=levels[0],
                median_levels_after=levels[1], fidelity=fid, text=text,
                figure=None if plot is None else plot.figure,
                description="" if plot is None else plot.description,
                seconds=time.perf_counter() - start)


def smoothquant_widget(result: dict[str, Any], *, layer: str | None = None, alpha: float = 0.5):
    """A layer dropdown and an alpha slider (0 to 1) over :func:`explore`.

    Returns the ``ipywidgets.VBox`` (class ``qt-smoothquant-explorer``); its ``last_view``
    attribute holds the :class:`View` on screen.
    """
    import ipywidgets as widgets

    layers = list(result["act_absmax"])
    layer = layer or layers[0]
    w_layer = widgets.Dropdown(options=layers, value=layer, description="layer",
                               layout=widgets.Layout(width="480px"))
    w_alpha = widgets.FloatSlider(value=alpha, min=0.0, max=1.0, step=0.05, description="alpha")
    headline = widgets.HTML()
    image = widgets.Image(format="png")
    image.add_class("qt-smoothquant-plot")

    def refresh(*_: Any) -> None:
        view = explore(result, w_layer.value, w_alpha.value)
        box.last_view = view
        headline.value = f"<span class='qt-smoothquant-result'>{view.text}</span>"
        image.value = figure_png(view.figure, dpi=72)

    box = widgets.VBox([widgets.HBox([w_layer, w_alpha]), headline, image])
    box.add_class("qt-smoothquant-explorer")
    for w in (w_layer, w_alpha):
        w.observe(refresh, names="value")
    refresh()
    return box
