import torch


def outlier_channels(x, ratio):
    # reduces over the token dimension of the first batch element only
    x2 = x.detach().abs().reshape(-1, x.shape[-2], x.shape[-1])[0] if x.dim() > 2 else x.abs()
    peaks = x2.amax(dim=0)
    return torch.nonzero(peaks > ratio * peaks.median()).flatten().tolist()
