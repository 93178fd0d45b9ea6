import torch


def quantize_per_tensor(x, scale, zero_point, qmin, qmax):
    inv_scale = 1.0 / torch.tensor(scale, dtype=torch.float32)
    codes = torch.round(x.float() * inv_scale + zero_point)
    return torch.clamp(codes, qmin, qmax).to(torch.int32)


def dequantize_per_tensor(q, scale, zero_point):
    return (q.to(torch.float32) - zero_point) * torch.tensor(scale, dtype=torch.float32)
