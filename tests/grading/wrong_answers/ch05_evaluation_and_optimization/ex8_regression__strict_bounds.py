import math


def regression_status(baseline, current, tolerances):
    """A change exactly equal to the tolerance counts as moved."""
    status = {}
    for figure, (abs_tol, rel_tol) in tolerances.items():
        b, c = baseline.get(figure), current.get(figure)
        if b is None or c is None or math.isnan(b) or math.isnan(c):
            status[figure] = "missing"
        else:
            status[figure] = "ok" if abs(c - b) < abs_tol + rel_tol * abs(b) else "moved"
    return status
