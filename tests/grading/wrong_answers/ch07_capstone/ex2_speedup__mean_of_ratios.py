# ruff: noqa: F821 -- an answer cell runs after the prelude (torch, math, np, pd, nn)
# Averages the per-run ratios: one disturbed run moves the verdict.
def speedup(runs, q=10):
    if not runs or any(len(a) == 0 or len(b) == 0 for a, b in runs):
        raise ValueError("no times")
    return float(np.mean([np.percentile(a, q) / np.percentile(b, q) for a, b in runs]))
