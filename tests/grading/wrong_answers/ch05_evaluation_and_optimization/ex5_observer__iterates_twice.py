import torch


def minmax_qparams(batches, *, num_bits=8):
    """Walks the batches twice (min, then max): a one-pass stream is empty the second time."""
    lo = min([0.0] + [b.min().item() for b in batches])
    hi = max([0.0] + [b.max().item() for b in batches])
    qmax = 2 ** num_bits - 1
    scale = max((hi - lo) / qmax, torch.finfo(torch.float32).eps)
    return float(scale), int(min(max(-round(lo / scale), 0), qmax))
