import torch


def fake_quantize_per_channel_symmetric(w, num_bits, axis):
    # reduces ALONG axis instead of over the other dimensions
    w = w.detach().float()
    qmin, qmax = -(2 ** (num_bits - 1)), 2 ** (num_bits - 1) - 1
    amax = w.abs().amax(dim=axis, keepdim=True)
    scale = torch.clamp(amax / ((qmax - qmin) / 2), min=torch.finfo(torch.float32).eps)
    codes = torch.clamp(torch.round(w * (1.0 / scale)), qmin, qmax)
    return codes * scale, scale.reshape(-1)
