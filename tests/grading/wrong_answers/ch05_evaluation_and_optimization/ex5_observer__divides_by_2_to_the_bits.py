import torch


def minmax_qparams(batches, *, num_bits=8):
    """Divides the range by 2**num_bits steps instead of 2**num_bits - 1."""
    lo, hi, seen = 0.0, 0.0, False
    for batch in batches:
        lo, hi, seen = min(lo, batch.min().item()), max(hi, batch.max().item()), True
    if not seen:
        raise ValueError("no batches")
    qmax = 2 ** num_bits - 1
    scale = max((hi - lo) / 2 ** num_bits, torch.finfo(torch.float32).eps)
    return float(scale), int(min(max(-round(lo / scale), 0), qmax))
