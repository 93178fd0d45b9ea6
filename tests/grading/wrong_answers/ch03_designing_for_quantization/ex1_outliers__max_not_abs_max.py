import torch


def outlier_channels(x, ratio):
    # the largest value, not the largest absolute value: negative outliers are missed
    peaks = x.detach().reshape(-1, x.shape[-1]).amax(dim=0)
    return torch.nonzero(peaks > ratio * peaks.median()).flatten().tolist()
