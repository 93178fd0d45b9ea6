"""qtlib.plots: figures build, use the palette and units, and describe the data."""

import pytest
import torch
from matplotlib.colors import to_hex

from qtlib.eval import LatencyRecord, Result
from qtlib.eval.latency import LatencyComparison
from qtlib.models import TinyGPT, TinyGPTConfig
from qtlib.plots import (
    OKABE_ITO,
    error_histogram,
    latency_distributions,
    memory_bars,
    tradeoff_scatter,
)

RESULTS = [
    Result("float", {}, {"size_bytes": 4 * 2**20, "accuracy": 0.97}),
    Result("int8", {"num_bits": 8}, {"size_bytes": 1 * 2**20, "accuracy": 0.96}),
    Result("int4", {"num_bits": 4}, {"size_bytes": 2 * 2**20, "accuracy": 0.90}),
]


def test_tradeoff_scatter_marks_the_front():
    fig, text = tradeoff_scatter(RESULTS)
    ax = fig.axes[0]
    assert "MB" in ax.get_xlabel() and "lower is better" in ax.get_xlabel()
    assert "higher is better" in ax.get_ylabel()
    assert "2 of them form the Pareto front" in text
    assert "Dominated, so never the best choice on these two figures: int4 (num_bits=4)" in text
    assert "int8 (num_bits=8) (1.049 MB, 0.96" in text
    colours = {to_hex(c) for coll in ax.collections for c in coll.get_facecolors()}
    assert colours <= {c.lower() for c in OKABE_ITO}
    with pytest.raises(ValueError, match="has no metric"):
        tradeoff_scatter(RESULTS, y="perplexity")


def test_latency_distributions_describe_speedups():
    fast = LatencyRecord.from_samples([1.0, 1.1, 0.9, 1.0, 1.2], warmup=1, threads=2)
    slow = LatencyRecord.from_samples([2.0, 2.2, 1.8, 2.0, 2.4], warmup=1, threads=2)
    cmp = LatencyComparison({"float": slow, "int8": fast}, baseline="float", rounds=5)
    fig, text = latency_distributions(cmp)
    assert "ms" in fig.axes[0].get_xlabel()
    assert "int8 2.00x" in text and "the fastest is int8" in text
    assert "float: median 2 ms" in text and "2 thread(s)" in text
    with pytest.raises(ValueError, match="empty"):
        latency_distributions({})


def test_memory_bars_by_kind_and_module():
    model = TinyGPT(TinyGPTConfig(dim=32, depth=1, num_heads=2, block_size=16))
    fig, text = memory_bars(model)
    assert "kB" in fig.axes[0].get_xlabel()
    assert "Largest: linear" in text
    fig, text = memory_bars(model, by="module", top=3)
    assert len(fig.axes[0].patches) == 3
    assert "lm_head" in text


def test_error_histogram():
    ref = torch.tensor([1.0, 2.0, 3.0, 4.0])
    cand = ref + torch.tensor([0.1, -0.1, 0.1, -0.1])
    fig, text = error_histogram(ref, cand, what="weight")
    assert "weight units" in fig.axes[0].get_xlabel()
    assert "largest absolute error 0.1;" in text and "standard deviation 0.115" in text
    assert "SQNR" in fig.axes[0].get_title() and "28.8 dB" in text  # 10 log10(30 / 0.04)
    with pytest.raises(ValueError, match="same shape"):
        error_histogram(ref, cand[:2])
