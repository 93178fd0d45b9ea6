import torch


def minmax_qparams(x, qmin, qmax):
    x = x.detach().float()
    min_val = torch.clamp(x.min(), max=0.0)
    max_val = torch.clamp(x.max(), min=0.0)
    scale = (max_val - min_val) / float(qmax - qmin)
    if float(scale) == 0.0:
        return 1.0, 0                      # "any scale will do" for an all-zero tensor
    zero_point = int(torch.clamp(qmin - torch.round(min_val / scale), qmin, qmax))
    return float(scale), zero_point
