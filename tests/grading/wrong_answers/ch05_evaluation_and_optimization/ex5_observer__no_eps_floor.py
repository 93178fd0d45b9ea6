

def minmax_qparams(batches, *, num_bits=8):
    """Forgets the smallest scale: an all-zero input fails (division by zero)."""
    lo, hi, seen = 0.0, 0.0, False
    for batch in batches:
        lo, hi, seen = min(lo, batch.min().item()), max(hi, batch.max().item()), True
    if not seen:
        raise ValueError("no batches")
    qmax = 2 ** num_bits - 1
    scale = (hi - lo) / qmax
    return float(scale), int(min(max(-round(lo / scale), 0), qmax))
