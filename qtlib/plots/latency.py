"""Latency distributions: one box and the individual samples per variant (ch05)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from qtlib.eval.latency import LatencyComparison, LatencyRecord
from qtlib.plots._common import SERIES, Plot, new_figure


def latency_distributions(records: Mapping[str, LatencyRecord] | LatencyComparison, *,
                          title: str = "latency per call") -> Plot:
    """Horizontal box plots (p25-p75 box, median line, p10/p90 whiskers) plus every sample.

    ``records`` is a :class:`LatencyComparison` or ``{name: LatencyRecord}``. The description
    gives each variant's median and p10-p90 range and, for a comparison, the speedups.
    """
    comparison = records if isinstance(records, LatencyComparison) else None
    recs = dict(comparison.records if comparison else records)
    if not recs:
        raise ValueError("records is empty")
    names = list(recs)
    fig = new_figure(6.4, 1.2 + 0.6 * len(names))
    ax = fig.add_subplot()
    data = [np.asarray(recs[n].samples_ms) for n in names]
    box = ax.boxplot(data, orientation="horizontal", whis=(10, 90), showfliers=False,
                     patch_artist=True, widths=0.5,
                     medianprops={"color": "black", "linewidth": 2})
    rng = np.random.default_rng(0)
    for i, (patch, samples) in enumerate(zip(box["boxes"], data, strict=True)):
        patch.set_facecolor(SERIES[i % len(SERIES)])
        patch.set_alpha(0.6)
        ax.scatter(samples, i + 1 + rng.uniform(-0.15, 0.15, len(samples)), s=4,
                   color="black", alpha=0.3, zorder=3)
    ax.set_yticks(range(1, len(names) + 1), names)
    ax.set_xlabel("latency per call (ms); box p25-p75, line median, whiskers p10-p90")
    threads = sorted({r.threads for r in recs.values()})
    ax.set_title(f"{title} ({', '.join(map(str, threads))} thread(s))")
    ax.grid(True, axis="x", alpha=0.3)
    parts = [f"{n}: median {recs[n].median_ms:.3g} ms (p10 {recs[n].p10_ms:.3g}, p90 "
             f"{recs[n].p90_ms:.3g}, {recs[n].n} samples)" for n in names]
    text = (f"Box plots of per-call latency in milliseconds for {len(names)} variant(s), "
            f"measured with {', '.join(map(str, threads))} thread(s). " + "; ".join(parts) + ".")
    if comparison:
        fastest = min(names, key=lambda n: recs[n].median_ms)
        text += (f" Against the baseline {comparison.baseline}, speedups are "
                 + ", ".join(f"{n} {comparison.speedups[n]:.2f}x" for n in names)
                 + f"; the fastest is {fastest}.")
    return Plot(fig, text)
