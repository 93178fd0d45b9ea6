def choose_recipe(table, *, max_size_mb, min_accuracy):
    """Applies the size budget only."""
    eligible = table[table["size_mb"] <= max_size_mb]
    if eligible.empty:
        raise ValueError("no recipe fits the size budget")
    return str(eligible.loc[eligible["latency_ms"].idxmin(), "recipe"])
