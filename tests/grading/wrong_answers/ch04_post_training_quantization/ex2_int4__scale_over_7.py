import torch


def quantize_int4_grouped(w, group_size):
    # divides max|w| by 7 (qmax) instead of 7.5 (half the range): a different grid
    w = w.detach().float()
    out_f, in_f = w.shape
    groups = w.reshape(out_f, in_f // group_size, group_size)
    scale = torch.clamp(groups.abs().amax(dim=-1) / 7, min=torch.finfo(torch.float32).eps)
    codes = torch.clamp(torch.round(groups * (1.0 / scale[..., None])), -8, 7)
    u = codes.reshape(out_f, in_f).to(torch.int16) & 0xF
    return (u[:, 0::2] | (u[:, 1::2] << 4)).to(torch.uint8), scale


def dequantize_int4_grouped(packed, scale, group_size):
    p = packed.to(torch.int16)
    codes = torch.stack([p & 0xF, (p >> 4) & 0xF], dim=-1).reshape(packed.shape[0], -1)
    codes = torch.where(codes >= 8, codes - 16, codes).float()
    w = codes.reshape(codes.shape[0], -1, group_size) * scale.float()[..., None]
    return w.reshape(codes.shape[0], -1)
