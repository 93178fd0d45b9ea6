# ruff: noqa: F821 -- an answer cell runs after the prelude (torch, math, np, pd, nn)
# Divides the model's time by the reference's: a 2x faster model reads 0.5.
import statistics


def speedup(runs, q=10):
    if not runs or any(len(a) == 0 or len(b) == 0 for a, b in runs):
        raise ValueError("no times")
    return float(statistics.median(np.percentile(b, q) / np.percentile(a, q) for a, b in runs))
