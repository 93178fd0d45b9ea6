import math


def regression_status(baseline, current, tolerances):
    """Takes the relative tolerance as a fraction of the current value."""
    status = {}
    for figure, (abs_tol, rel_tol) in tolerances.items():
        b, c = baseline.get(figure), current.get(figure)
        if b is None or c is None or math.isnan(b) or math.isnan(c):
            status[figure] = "missing"
        else:
            status[figure] = "ok" if abs(c - b) <= abs_tol + rel_tol * abs(c) else "moved"
    return status
