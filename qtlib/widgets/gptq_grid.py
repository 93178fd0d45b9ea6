"""Chapter 4's explorer: bits x group size x method (RTN / GPTQ) -> perplexity and bytes (ch04).

The callback :func:`gptq_point_text` is a plain function on the cached table of
:func:`qtlib.experiments.ch04_ptq.group_size_sweep` (a DataFrame with columns method, bits,
group_size, perplexity, bytes_per_weight): it only looks rows up, so it answers in well under
300 ms. :func:`gptq_explorer` wires it to three dropdowns.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

METHODS = ("RTN", "GPTQ")


def gptq_point(table: pd.DataFrame, bits: int, group_size: int | str, method: str
               ) -> dict[str, float]:
    """The row for ``method`` at ``bits``/``group_size`` plus float32's perplexity:
    ``{"perplexity", "bytes_per_weight", "float32_perplexity", "rtn_perplexity"}``."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    sel = table[(table.bits == bits) & (table.group_size == group_size)].set_index("method")
    if method not in sel.index:
        raise ValueError(f"no measured point for {method} int{bits} group_size={group_size!r}")
    fp = float(table.loc[table.method == "float32", "perplexity"].iloc[0])
    return {"perplexity": float(sel.loc[method, "perplexity"]),
            "bytes_per_weight": float(sel.loc[method, "bytes_per_weight"]),
            "float32_perplexity": fp, "rtn_perplexity": float(sel.loc["RTN", "perplexity"])}


def gptq_point_text(table: pd.DataFrame, bits: int, group_size: int | str, method: str) -> str:
    """One sentence for the widget: perplexity, its gap to float32, bytes per weight."""
    p = gptq_point(table, bits, group_size, method)
    g = "per channel" if group_size == "per-channel" else f"groups of {group_size}"
    return (f"{method} int{bits}, {g}: perplexity {p['perplexity']:.3f} "
            f"({p['perplexity'] - p['float32_perplexity']:+.3f} vs float32 "
            f"{p['float32_perplexity']:.3f}; RTN here {p['rtn_perplexity']:.3f}), "
            f"{p['bytes_per_weight']:.4f} bytes per weight "
            f"({4 / p['bytes_per_weight']:.1f}x smaller than float32).")


def gptq_explorer(table: pd.DataFrame) -> Any:
    """Dropdowns for bits, group size and method above the text of :func:`gptq_point_text`."""
    import ipywidgets as w

    bits = w.Dropdown(options=sorted({int(b) for b in table.bits if b != 32}, reverse=True),
                      description="bits")
    groups = [g for g in table.group_size.unique() if g != "-"]
    group = w.Dropdown(options=groups, description="group size")
    method = w.ToggleButtons(options=list(METHODS), description="method")
    out = w.HTML()
    out.add_class("qt-gptq-grid-result")

    def update(_change: object = None) -> None:
        try:
            out.value = gptq_point_text(table, bits.value, group.value, method.value)
        except ValueError as err:  # a combination the sweep did not measure
            out.value = str(err)

    for control in (bits, group, method):
        control.observe(update, names="value")
    update()
    box = w.VBox([w.HBox([bits, group]), method, out])
    box.add_class("qt-gptq-grid-explorer")
    return box
