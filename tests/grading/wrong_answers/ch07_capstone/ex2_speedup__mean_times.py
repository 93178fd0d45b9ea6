# ruff: noqa: F821 -- an answer cell runs after the prelude (torch, math, np, pd, nn)
# Uses the mean time of each model: one call slowed by another job decides the ratio.
import statistics


def speedup(runs, q=10):
    if not runs or any(len(a) == 0 or len(b) == 0 for a, b in runs):
        raise ValueError("no times")
    return float(statistics.median(np.mean(a) / np.mean(b) for a, b in runs))
