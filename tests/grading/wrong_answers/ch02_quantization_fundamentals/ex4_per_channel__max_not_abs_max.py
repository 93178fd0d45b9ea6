import torch


def fake_quantize_per_channel_symmetric(w, num_bits, axis):
    # forgets the negative side: max(w) instead of max(|w|)
    w = w.detach().float()
    axis = axis % w.ndim
    qmin, qmax = -(2 ** (num_bits - 1)), 2 ** (num_bits - 1) - 1
    others = tuple(d for d in range(w.ndim) if d != axis)
    amax = w.amax(dim=others).clamp(min=0.0)
    scale = torch.clamp(amax / ((qmax - qmin) / 2), min=torch.finfo(torch.float32).eps)
    shape = [1] * w.ndim
    shape[axis] = -1
    s = scale.reshape(shape)
    codes = torch.clamp(torch.round(w * (1.0 / s)), qmin, qmax)
    return codes * s, scale
