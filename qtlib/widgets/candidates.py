"""The capstone's explorer (ch07): the learner's own candidates, two axes, one ringed.

The widget only wires three dropdowns (x axis, y axis, the candidate to ring) to a plain
callback ``view(x, y, highlight) -> (png bytes, text)`` that the caller supplies (the capstone
passes :func:`qtlib.experiments.ch07_capstone.candidates_view` over its measured rows). Nothing
is measured on a change, so the callback answers in well under 300 ms; tests call it without a
browser.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any

#: A callback: (x axis name, y axis name, label to ring or None) -> (PNG bytes, text).
ViewFn = Callable[[str, str, str | None], tuple[bytes, str]]


def candidates_widget(view: ViewFn, axes: Sequence[str], labels: Sequence[str], *,
                      x: str, y: str, highlight: str | None = None):
    """Dropdowns for both axes and the ringed candidate, wired to ``view`` (ch07).

    ``axes``: the axis names ``view`` accepts; ``labels``: the candidates' labels. Returns the
    ``ipywidgets.VBox`` (CSS class ``qt-candidates-explorer``); its ``last_text`` attribute holds
    the text alternative on screen.
    """
    import ipywidgets as widgets
    from IPython.display import Image, Markdown, display

    axes, labels = list(axes), list(labels)
    for name, value, options in (("x", x, axes), ("y", y, axes)):
        if value not in options:
            raise ValueError(f"{name} must be one of {options}, got {value!r}")
    if not labels:
        raise ValueError("no candidates to explore yet")
    highlight = highlight if highlight in labels else labels[0]
    w_x = widgets.Dropdown(options=axes, value=x, description="x axis")
    w_y = widgets.Dropdown(options=axes, value=y, description="y axis")
    w_ring = widgets.Dropdown(options=labels, value=highlight, description="ring")
    headline = widgets.HTML()
    out = widgets.Output()

    def refresh(*_: Any) -> None:
        png, text = view(w_x.value, w_y.value, w_ring.value)
        box.last_text = text
        headline.value = (f"<b class='qt-candidates-choice'>{html.escape(w_ring.value)}: "
                          f"{html.escape(w_y.value)} vs {html.escape(w_x.value)}</b>")
        out.clear_output(wait=True)
        with out:
            display(Image(data=png))
            display(Markdown(text))

    box = widgets.VBox([widgets.HBox([w_x, w_y, w_ring]), headline, out])
    box.add_class("qt-candidates-explorer")
    for w in (w_x, w_y, w_ring):
        w.observe(refresh, names="value")
    refresh()
    return box
