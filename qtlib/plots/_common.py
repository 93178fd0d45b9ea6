"""Shared pieces of qtlib.plots: the Okabe-Ito palette, unit scaling, the (figure, text) pair."""

from __future__ import annotations

from typing import NamedTuple

from matplotlib.figure import Figure

from qtlib.utils.formatting import bytes_unit  # noqa: F401 -- re-exported for the plots

#: Okabe & Ito's colour-blind-safe palette (black first, then in their order).
OKABE_ITO = ("#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00",
             "#CC79A7")
#: Colours for data series: the palette without black (kept for text and the front line).
SERIES = OKABE_ITO[1:]
MARKERS = ("o", "s", "^", "D", "v", "P", "X")


class Plot(NamedTuple):
    """A figure and its text alternative (one paragraph a screen reader can read)."""

    figure: Figure
    description: str


def new_figure(width: float = 6.4, height: float = 4.0) -> Figure:
    """A pyplot-free figure (no global state; Jupyter shows it with ``display(fig)``)."""
    return Figure(figsize=(width, height), layout="constrained")


def figure_png(figure: Figure, dpi: int = 80) -> bytes:
    """``figure`` as PNG bytes: an explorer shows these in an image or ``IPython.display.Image``,
    which works in any notebook whatever its matplotlib backend (a pyplot-free figure has no
    display of its own there)."""
    import io

    if not isinstance(figure, Figure):
        raise TypeError(f"figure must be a matplotlib Figure, got {type(figure).__name__}")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def register_notebook_display() -> bool:
    """Make ``display(figure)`` show a pyplot-free Figure as a PNG in the running IPython kernel.

    A kernel shows a Figure as an image only once a backend registered a PNG formatter for it
    (``%matplotlib inline``, or importing pyplot under the inline backend); otherwise a learner sees
    ``<Figure size 640x400 with 1 Axes>``. qtlib's figures never touch pyplot, so ``qtlib.plots``
    registers the formatter itself on import. Returns whether a kernel was there to register with.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python: nothing displays figures
        return False
    shell = get_ipython()
    if shell is None or not hasattr(shell, "display_formatter"):
        return False
    png = shell.display_formatter.formatters["image/png"]
    png.for_type(Figure, lambda figure: figure_png(figure, dpi=100))
    return True
