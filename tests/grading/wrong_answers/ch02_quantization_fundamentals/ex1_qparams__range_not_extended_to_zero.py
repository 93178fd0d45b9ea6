import torch


def minmax_qparams(x, qmin, qmax):
    # uses the tensor's own min and max: 0.0 may fall outside the grid
    x = x.detach().float()
    min_val, max_val = x.min(), x.max()
    scale = torch.clamp((max_val - min_val) / float(qmax - qmin),
                        min=torch.finfo(torch.float32).eps)
    zero_point = int(torch.clamp(qmin - torch.round(min_val / scale), qmin, qmax))
    return float(scale), zero_point
