def regression_status(baseline, current, tolerances):
    """Indexes both tables directly: a missing figure raises KeyError, NaN passes as moved."""
    status = {}
    for figure, (abs_tol, rel_tol) in tolerances.items():
        b, c = baseline[figure], current[figure]
        status[figure] = "ok" if abs(c - b) <= abs_tol + rel_tol * abs(b) else "moved"
    return status
