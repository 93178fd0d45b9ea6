import torch


def minmax_qparams(x, qmin, qmax):
    # divides by the number of levels (256 for uint8) instead of the number of steps (255)
    x = x.detach().float()
    min_val = torch.clamp(x.min(), max=0.0)
    max_val = torch.clamp(x.max(), min=0.0)
    scale = torch.clamp((max_val - min_val) / float(qmax - qmin + 1),
                        min=torch.finfo(torch.float32).eps)
    zero_point = int(torch.clamp(qmin - torch.round(min_val / scale), qmin, qmax))
    return float(scale), zero_point
