"""Figures: each function returns ``Plot(figure, description)``.

The description is a one-paragraph text alternative computed from the same data, for screen
readers and for checking a figure's message in tests. Colours come from the Okabe-Ito
colour-blind-safe palette; every axis states its unit. Figures are created without pyplot:
show one in a notebook with ``display(plot.figure)``, or in an explorer as PNG bytes
(``figure_png``), which shows whatever the notebook's matplotlib backend.

- ``tradeoff_scatter(results, x="size_bytes", y="accuracy")``: Pareto front highlighted
- ``latency_distributions(records_or_comparison)``: per-call latency boxes and samples
- ``memory_bars(model, by="kind" | "module")``: stored bytes per kind or module
- ``error_histogram(reference, candidate)``: distribution of output or weight errors
- ``anatomy_bars(breakdowns)``: each component's share of parameters, FLOPs and bytes (ch01)
- ``share_curves(frame)``: how those shares move as one dimension grows (ch01)
- ``channel_outliers(x)``: max |activation| per channel, outliers named (ch05)
- ``quantization_grid(x, x_hat, levels)``: values with the integer grid, and the error (ch02)
- ``qat_curves(setting, accuracies, losses, float_accuracy)``: QAT/LSQ training (ch06)
- ``design.sensitivity_bars``, ``design.size_fidelity_curve``, ``design.migration_ranges``:
  per-layer sensitivity, mixed precision, SmoothQuant's ranges before/after (ch03; import the
  module)
"""

from qtlib.plots._common import OKABE_ITO, Plot, figure_png, register_notebook_display
from qtlib.plots.activations import channel_outliers
from qtlib.plots.anatomy import anatomy_bars, share_curves
from qtlib.plots.errors import error_histogram
from qtlib.plots.grid import quantization_grid
from qtlib.plots.latency import latency_distributions
from qtlib.plots.memory import memory_bars
from qtlib.plots.qat import qat_curves
from qtlib.plots.tradeoff import tradeoff_scatter

register_notebook_display()

__all__ = ["OKABE_ITO", "Plot", "anatomy_bars", "channel_outliers", "error_histogram", "figure_png",
           "latency_distributions",
           "memory_bars", "qat_curves", "quantization_grid", "share_curves", "tradeoff_scatter"]
