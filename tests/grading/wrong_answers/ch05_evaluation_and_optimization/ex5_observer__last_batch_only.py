import torch


def minmax_qparams(batches, *, num_bits=8):
    """Keeps the range of the last batch only (the seed's one-batch calibration)."""
    lo = hi = None
    for batch in batches:
        lo, hi = min(0.0, batch.min().item()), max(0.0, batch.max().item())
    if lo is None:
        raise ValueError("no batches")
    qmax = 2 ** num_bits - 1
    scale = max((hi - lo) / qmax, torch.finfo(torch.float32).eps)
    return float(scale), int(min(max(-round(lo / scale), 0), qmax))
