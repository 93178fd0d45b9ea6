def choose_recipe(table, *, max_size_mb, min_accuracy):
    """Uses strict inequalities: a recipe exactly on a budget is rejected."""
    eligible = table[(table["size_mb"] < max_size_mb) & (table["accuracy"] > min_accuracy)]
    if eligible.empty:
        raise ValueError("no recipe meets both budgets")
    return str(eligible.loc[eligible["latency_ms"].idxmin(), "recipe"])
