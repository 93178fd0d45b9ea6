"""Chapter 0's explorer: how many bytes a model of N parameters takes at 32, 16, 8 and 4 bits.

The callback :func:`model_size_table` is a plain function (tests call it directly); the widget
:func:`model_size_widget` wires it to a slider over log10(N). Sizes count the weights only, packed
at ``num_bits`` per value (4-bit values two per byte), without scales or zero-points, which later
chapters add.
"""

from __future__ import annotations

import math

from qtlib.utils.formatting import format_bytes

BITS: tuple[int, ...] = (32, 16, 8, 4)


def model_bytes(num_params: int, num_bits: int) -> int:
    """Bytes to store ``num_params`` values of ``num_bits`` bits each, packed (rounded up).

    >>> model_bytes(3, 4)
    2
    """
    if isinstance(num_params, bool) or not isinstance(num_params, int):
        raise TypeError(f"num_params must be an int number of parameters, got "
                        f"{type(num_params).__name__}")
    if num_params < 0:
        raise ValueError(f"num_params must be >= 0, got {num_params}")
    if isinstance(num_bits, bool) or not isinstance(num_bits, int) or num_bits not in (
            1, 2, 4, 8, 16, 32, 64):
        raise ValueError(f"num_bits must be one of 1, 2, 4, 8, 16, 32, 64, got {num_bits!r}")
    return (num_params * num_bits + 7) // 8


def human_bytes(num_bytes: int) -> str:
    """``num_bytes`` in the course's decimal units (:func:`qtlib.utils.formatting.format_bytes`):
    ``human_bytes(22_700_000)`` is ``'22.7 MB'``."""
    return format_bytes(num_bytes)


def model_size_table(num_params: int) -> list[dict[str, object]]:
    """The callback: one row per bit width in :data:`BITS`.

    Each row has ``num_bits`` (int), ``bytes`` (int), ``size`` (str, e.g. ``'91.2 MB'``) and
    ``vs_float32`` (float, the fraction of the 32-bit size).
    """
    full = model_bytes(num_params, 32)
    rows = []
    for bits in BITS:
        size = model_bytes(num_params, bits)
        rows.append({"num_bits": bits, "bytes": size, "size": human_bytes(size),
                     "vs_float32": size / full if full else 0.0})
    return rows


def model_size_text(num_params: int) -> str:
    """The table as the plain text the widget prints (one line per bit width)."""
    lines = [f"A model with {num_params:,} parameters takes:"]
    for row in model_size_table(num_params):
        lines.append(f"  {row['num_bits']:>2}-bit: {row['size']:>9}  "
                     f"({row['vs_float32']:.1%} of float32)")
    return "\n".join(lines)


def model_size_widget(initial_params: int = 22_600_000):
    """A slider over log10(number of parameters) (3 to 11) that prints :func:`model_size_text`.

    The default, 22.6 million, is close to MiniLM-L6's parameter count (chapter 0 prints the
    exact figure of the model it loads).
    Returns the ``ipywidgets.VBox``; display it (it is the last expression of a cell).
    """
    import ipywidgets as widgets

    if isinstance(initial_params, bool) or not isinstance(initial_params, int) \
            or initial_params < 1:
        raise ValueError(f"initial_params must be an int >= 1, got {initial_params!r}")
    slider = widgets.FloatSlider(
        value=math.log10(initial_params), min=3.0, max=11.0, step=0.1,
        description="log10(N)", continuous_update=True, readout_format=".1f",
        layout=widgets.Layout(width="420px"),
    )
    output = widgets.HTML()

    def show(num_params: int) -> None:
        output.value = f"<pre class='qt-model-size'>{model_size_text(num_params)}</pre>"

    def update(change: dict) -> None:
        show(int(round(10 ** change["new"])))

    slider.observe(update, names="value")
    show(initial_params)  # exact, before the slider rounds log10(N) to its 0.1 step
    box = widgets.VBox([slider, output])
    box.add_class("qt-model-size-explorer")
    return box
