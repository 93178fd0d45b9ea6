import math


def regression_status(baseline, current, tolerances):
    """Checks the absolute tolerance only."""
    status = {}
    for figure, (abs_tol, _rel_tol) in tolerances.items():
        b, c = baseline.get(figure), current.get(figure)
        if b is None or c is None or math.isnan(b) or math.isnan(c):
            status[figure] = "missing"
        else:
            status[figure] = "ok" if abs(c - b) <= abs_tol else "moved"
    return status
