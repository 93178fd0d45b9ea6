import torch
import torch.nn.functional as F


def qat_step(weight, bias, x, y, num_bits, lr):
    w = weight.detach().clone().float().requires_grad_(True)
    b = bias.detach().clone().float().requires_grad_(True)
    qmin, qmax = -(2 ** (num_bits - 1)), 2 ** (num_bits - 1) - 1
    scale = (w.detach().abs().amax(dim=1, keepdim=True) / ((qmax - qmin) / 2)).clamp(min=1.2e-7)
    codes = torch.clamp(torch.round(w.detach() * (1.0 / scale)), qmin, qmax)
    w_q = w + (codes * scale - w).detach()
    loss = F.cross_entropy(x.float() @ w_q.T + b, y)
    loss.backward()
    with torch.no_grad():
        return codes * scale - lr * w.grad, b - lr * b.grad, float(loss.detach())
