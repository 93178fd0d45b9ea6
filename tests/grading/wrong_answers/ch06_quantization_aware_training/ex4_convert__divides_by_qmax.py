import torch


def to_integer_weights(weight, num_bits):
    w = weight.detach().float()
    qmin, qmax = -(2 ** (num_bits - 1)), 2 ** (num_bits - 1) - 1
    scale = (w.abs().amax(dim=1) / qmax).clamp(min=torch.finfo(torch.float32).eps)
    codes = torch.clamp(torch.round(w * (1.0 / scale[:, None])), qmin, qmax)
    return codes.to(torch.int8), scale
