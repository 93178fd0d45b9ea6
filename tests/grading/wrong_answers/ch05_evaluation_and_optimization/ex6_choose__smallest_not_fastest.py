def choose_recipe(table, *, max_size_mb, min_accuracy):
    """Picks the smallest eligible recipe instead of the fastest."""
    eligible = table[(table["size_mb"] <= max_size_mb) & (table["accuracy"] >= min_accuracy)]
    if eligible.empty:
        raise ValueError("no recipe meets both budgets")
    return str(eligible.loc[eligible["size_mb"].idxmin(), "recipe"])
