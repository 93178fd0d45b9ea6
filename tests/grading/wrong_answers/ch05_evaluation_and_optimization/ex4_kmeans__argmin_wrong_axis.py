import torch


def share_weight(weight, num_clusters, *, num_iters=20):
    """Takes the argmin over the weights (dim 0) instead of over the centroids."""
    values = weight.detach().reshape(-1).float()
    codebook = torch.linspace(values.min().item(), values.max().item(), num_clusters)
    for _ in range(num_iters):
        assignment = (values[:, None] - codebook[None, :]).abs().argmin(dim=0)
        for k in range(num_clusters):
            members = values[assignment == k]
            if members.numel():
                codebook[k] = members.mean()
    assignment = (values[:, None] - codebook[None, :]).abs().argmin(dim=0)
    return codebook, assignment
