import math


def regression_status(baseline, current, tolerances):
    """Flags a figure only when it dropped: improvements beyond the tolerance pass silently."""
    status = {}
    for figure, (abs_tol, rel_tol) in tolerances.items():
        b, c = baseline.get(figure), current.get(figure)
        if b is None or c is None or math.isnan(b) or math.isnan(c):
            status[figure] = "missing"
        else:
            status[figure] = "ok" if b - c <= abs_tol + rel_tol * abs(b) else "moved"
    return status
