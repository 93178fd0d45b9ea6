"""Shared pieces of qtlib.plots: the Okabe-Ito palette, unit scaling, the (figure, text) pair."""

from __future__ import annotations

from typing import NamedTuple

from matplotlib.figure import Figure

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


def bytes_unit(max_bytes: float) -> tuple[float, str]:
    """(divisor, unit) so that ``max_bytes / divisor`` reads well: B, KiB, MiB or GiB."""
    for divisor, unit in ((2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
        if max_bytes >= divisor:
            return float(divisor), unit
    return 1.0, "B"


#: Axis units of metrics the course records (name -> (label, unit or None, sense)).
METRIC_INFO: dict[str, tuple[str, str | None, str]] = {
    "size_bytes": ("serialized size", "bytes", "min"),
    "param_bytes": ("parameter and buffer bytes", "bytes", "min"),
    "accuracy": ("test accuracy", "fraction", "max"),
    "median_ms": ("median latency", "ms", "min"),
    "p90_ms": ("p90 latency", "ms", "min"),
    "perplexity": ("test perplexity", "per byte", "min"),
    "bits_per_byte": ("bits per byte", "bits", "min"),
    "cosine_mean": ("mean cosine to float", "unitless", "max"),
    "cosine_min": ("minimum cosine to float", "unitless", "max"),
    "sqnr_db": ("SQNR", "dB", "max"),
    "kl_divergence": ("KL divergence", "nats", "min"),
    "top1_agreement": ("top-1 agreement", "fraction", "max"),
}


def metric_info(name: str) -> tuple[str, str | None, str]:
    return METRIC_INFO.get(name, (name.replace("_", " "), None, "max"))
