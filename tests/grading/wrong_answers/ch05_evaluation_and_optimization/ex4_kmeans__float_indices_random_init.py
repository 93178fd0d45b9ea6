import torch


def share_weight(weight, num_clusters, *, num_iters=20):
    """Random initialization (not deterministic) and float indices."""
    values = weight.detach().reshape(-1).float()
    codebook = values[torch.randperm(values.numel())[:num_clusters]].clone()
    for _ in range(num_iters):
        assignment = (values[:, None] - codebook[None, :]).abs().argmin(dim=1)
        for k in range(num_clusters):
            members = values[assignment == k]
            if members.numel():
                codebook[k] = members.mean()
    assignment = (values[:, None] - codebook[None, :]).abs().argmin(dim=1)
    return codebook, assignment.reshape(weight.shape).float()
