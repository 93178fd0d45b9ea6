def choose_recipe(table, *, max_size_mb, min_accuracy):
    """Returns None instead of raising when no recipe meets the budgets."""
    eligible = table[(table["size_mb"] <= max_size_mb) & (table["accuracy"] >= min_accuracy)]
    if eligible.empty:
        return None
    return str(eligible.loc[eligible["latency_ms"].idxmin(), "recipe"])
