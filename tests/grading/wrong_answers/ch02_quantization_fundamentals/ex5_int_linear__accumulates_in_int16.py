import torch


def int8_linear(x_q, x_scale, x_zero_point, w_q, w_scale, bias, out_scale, out_zero_point):
    # int16 "is enough for 8-bit codes": the accumulator wraps around
    product_scale = torch.tensor(x_scale, dtype=torch.float32) * w_scale.float()
    acc = ((x_q.to(torch.int16) - x_zero_point) @ w_q.to(torch.int16).T).to(torch.int32)
    acc = acc + torch.round(bias.float() / product_scale).to(torch.int32)
    multiplier = product_scale / torch.tensor(out_scale, dtype=torch.float32)
    y = torch.round(acc.to(torch.float32) * multiplier) + out_zero_point
    return acc, torch.clamp(y, -128, 127).to(torch.int8)
