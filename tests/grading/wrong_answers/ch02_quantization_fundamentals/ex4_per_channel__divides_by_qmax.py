import torch


def fake_quantize_per_channel_symmetric(w, num_bits, axis):
    # the textbook max|w| / qmax, not torch.ao's max|w| / ((qmax - qmin) / 2)
    w = w.detach().float()
    axis = axis % w.ndim
    qmin, qmax = -(2 ** (num_bits - 1)), 2 ** (num_bits - 1) - 1
    others = tuple(d for d in range(w.ndim) if d != axis)
    scale = torch.clamp(w.abs().amax(dim=others) / qmax, min=torch.finfo(torch.float32).eps)
    shape = [1] * w.ndim
    shape[axis] = -1
    s = scale.reshape(shape)
    codes = torch.clamp(torch.round(w * (1.0 / s)), qmin, qmax)
    return codes * s, scale
