def choose_float_layers(drops, float_bytes, budget_bytes):
    # ranks the least sensitive layer first
    ranking = sorted(drops, key=lambda n: (drops[n], n))
    total = sum(b // 4 for b in float_bytes.values())
    keep = []
    for name in ranking:
        extra = float_bytes[name] - float_bytes[name] // 4
        if total + extra <= budget_bytes:
            keep.append(name)
            total += extra
    return ranking, keep
