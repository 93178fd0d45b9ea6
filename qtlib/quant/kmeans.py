"""One-dimensional k-means for weight sharing (ch05): a codebook and one index per weight."""

from __future__ import annotations

import torch

from qtlib.quant.checks import check_float_tensor
from qtlib.utils.validation import check_num_clusters


def kmeans_1d(values: torch.Tensor, num_clusters: int, *, iters: int = 50, seed: int = 0,
              max_init_samples: int = 1_000_000) -> tuple[torch.Tensor, torch.Tensor]:
    """Cluster scalar values with Lloyd's algorithm; deterministic.

    Init: the codebook starts at the quantiles ``(i + 0.5) / k`` of the values (computed on at most
    ``max_init_samples`` values drawn with ``seed``), so dense regions get more centroids. Each
    step assigns every value to the nearest centroid (via the midpoints of the sorted codebook;
    a value exactly on a midpoint joins the lower cluster) and moves each centroid to the mean of
    its values (float64); an empty cluster keeps its centroid. Stops after ``iters`` steps or
    when no assignment changes.

    Args:
        values: float tensor of any shape (flattened), finite, non-empty.
        num_clusters: k, from 2 to 256 (``qtlib.utils.validation``).
    Returns:
        ``(codebook float32 [k] sorted ascending, indices int64 of values' shape, in [0, k))``.
    """
    check_float_tensor(values, "values")
    check_num_clusters(num_clusters)
    x = values.detach().reshape(-1).double()
    sample = x
    if x.numel() > max_init_samples:
        g = torch.Generator().manual_seed(seed)
        sample = x[torch.randperm(x.numel(), generator=g)[:max_init_samples]]
    qs = (torch.arange(num_clusters, dtype=torch.float64) + 0.5) / num_clusters
    codebook = torch.quantile(sample, qs)
    # Lloyd on the sorted values: a cluster is a contiguous run, so its size and sum come from
    # the positions of the midpoints and a prefix sum (O(k log n) per step instead of O(n)).
    xs = torch.sort(x).values
    prefix = torch.cat([torch.zeros(1, dtype=torch.float64), torch.cumsum(xs, 0)])
    n = torch.tensor([xs.numel()])
    edges = None
    for _ in range(iters):
        codebook = torch.sort(codebook).values
        mid = (codebook[1:] + codebook[:-1]) / 2
        new_edges = torch.cat([torch.zeros(1, dtype=torch.int64),
                               torch.searchsorted(xs, mid, right=True), n])
        if edges is not None and torch.equal(new_edges, edges):
            break
        edges = new_edges
        counts = (edges[1:] - edges[:-1]).double()
        sums = prefix[edges[1:]] - prefix[edges[:-1]]
        codebook = torch.where(counts > 0, sums / counts.clamp(min=1), codebook)
    codebook = torch.sort(codebook).values
    # value == midpoint goes to the lower cluster, as searchsorted(right=True) counted it
    idx = torch.bucketize(x, (codebook[1:] + codebook[:-1]) / 2)
    return codebook.float(), idx.reshape(values.shape)
