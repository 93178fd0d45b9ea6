import torch


def int8_linear(x_q, x_scale, x_zero_point, w_q, w_scale, bias, out_scale, out_zero_point):
    # keeps the bias out of the int32 accumulator and adds it in float at the end
    product_scale = torch.tensor(x_scale, dtype=torch.float32) * w_scale.float()
    acc = (x_q.to(torch.int32) - x_zero_point) @ w_q.to(torch.int32).T
    y = acc.to(torch.float32) * product_scale + bias
    y = torch.round(y / out_scale) + out_zero_point
    return acc, torch.clamp(y, -128, 127).to(torch.int8)
