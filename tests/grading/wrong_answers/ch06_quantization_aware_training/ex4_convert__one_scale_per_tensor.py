import torch


def to_integer_weights(weight, num_bits):
    w = weight.detach().float()
    qmin, qmax = -(2 ** (num_bits - 1)), 2 ** (num_bits - 1) - 1
    s = (w.abs().max() / ((qmax - qmin) / 2)).clamp(min=torch.finfo(torch.float32).eps)
    codes = torch.clamp(torch.round(w * (1.0 / s)), qmin, qmax)
    return codes.to(torch.int8), s.expand(w.shape[0]).clone()
