import torch
import torch.nn.functional as F


def qat_step(weight, bias, x, y, num_bits, lr):
    w = weight.detach().clone().float().requires_grad_(True)
    b = bias.detach().clone().float().requires_grad_(True)
    loss = F.cross_entropy(x.float() @ w.T + b, y)
    loss.backward()
    with torch.no_grad():
        return w - lr * w.grad, b - lr * b.grad, float(loss.detach())
