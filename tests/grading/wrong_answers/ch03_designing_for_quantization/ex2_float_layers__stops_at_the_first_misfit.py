def choose_float_layers(drops, float_bytes, budget_bytes):
    # stops at the first layer that does not fit instead of skipping it
    ranking = sorted(drops, key=lambda n: (-drops[n], n))
    total = sum(b // 4 for b in float_bytes.values())
    keep = []
    for name in ranking:
        extra = float_bytes[name] - float_bytes[name] // 4
        if total + extra > budget_bytes:
            break
        keep.append(name)
        total += extra
    return ranking, keep
