import torch


def int8_linear(x_q, x_scale, x_zero_point, w_q, w_scale, bias, out_scale, out_zero_point):
    product_scale = torch.tensor(x_scale, dtype=torch.float32) * w_scale.float()
    acc = x_q.to(torch.int32) @ w_q.to(torch.int32).T
    acc = acc + torch.round(bias.float() / product_scale).to(torch.int32)
    multiplier = product_scale / torch.tensor(out_scale, dtype=torch.float32)
    y = torch.round(acc.to(torch.float32) * multiplier) + out_zero_point
    return acc, torch.clamp(y, -128, 127).to(torch.int8)
