"""kmeans_1d: matches a plain Lloyd iteration, deterministic, robust to degenerate input."""

import pytest
import torch

from qtlib.quant import kmeans_1d


def _plain_lloyd(x, k, iters=50):
    c = torch.quantile(x.double(), (torch.arange(k, dtype=torch.float64) + 0.5) / k)
    for _ in range(iters):
        c = torch.sort(c).values
        idx = (x.double()[:, None] - c[None, :]).abs().argmin(1)
        new = torch.stack([x.double()[idx == j].mean() if (idx == j).any() else c[j]
                           for j in range(k)])
        if torch.allclose(new, c, rtol=0, atol=1e-12):
            break
        c = new
    return torch.sort(c).values


@pytest.mark.parametrize("k", [2, 5, 16])
def test_kmeans_matches_plain_lloyd(k):
    x = torch.randn(3000, generator=torch.Generator().manual_seed(k)) ** 3
    codebook, idx = kmeans_1d(x, k)
    assert torch.allclose(codebook.double(), _plain_lloyd(x, k), atol=1e-5)
    d = (x[:, None] - codebook[None, :]).abs()
    assert torch.equal(idx, d.argmin(1))
    again = kmeans_1d(x, k)
    assert torch.equal(again[0], codebook) and torch.equal(again[1], idx)


def test_kmeans_degenerate_inputs():
    codebook, idx = kmeans_1d(torch.full((10,), 0.5), 4)
    assert torch.equal(codebook[idx], torch.full((10,), 0.5))
    x = torch.tensor([0.0, 0.0, 1.0, 1.0])
    codebook, idx = kmeans_1d(x, 8)  # more clusters than distinct values
    assert torch.equal(codebook[idx], x)
    with pytest.raises(ValueError, match="num_clusters"):
        kmeans_1d(x, 0)
    with pytest.raises(ValueError, match="values contains"):
        kmeans_1d(torch.tensor([float("nan")]), 2)
