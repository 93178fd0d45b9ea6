def choose_float_layers(drops, float_bytes, budget_bytes):
    # forgets that the int8 layers take space too
    ranking = sorted(drops, key=lambda n: (-drops[n], n))
    total = 0
    keep = []
    for name in ranking:
        if total + float_bytes[name] <= budget_bytes:
            keep.append(name)
            total += float_bytes[name]
    return ranking, keep
