"""evaluate(model, task=...) bundles data, metrics, size and latency into a Result."""

import copy

import pytest
import torch

from qtlib.data import digits
from qtlib.eval import Result, accuracy, serialized_size
from qtlib.experiments.tasks import evaluate
from qtlib.models import load


def test_digits_task():
    model = load("tinyvit-digits")
    result = evaluate(model, "digits", method="float", latency_budget_s=0.05, threads=1)
    assert isinstance(result, Result) and result.task == "digits"
    assert result.metrics["accuracy"] == accuracy(model, digits("test"))
    assert result.metrics["size_bytes"] == serialized_size(model)
    assert result.metrics["median_ms"] > 0 and result.metrics["latency_threads"] == 1
    assert result.env["torch"].startswith("2.13") and "cpu" in result.env


def test_tinygpt_task_without_latency():
    result = evaluate(load("tinygpt"), "tinygpt", latency=False)
    assert "median_ms" not in result.metrics
    assert 1.0 < result.metrics["perplexity"] < 256
    assert result.metrics["bits_per_byte"] == pytest.approx(
        torch.tensor(result.metrics["perplexity"]).log2().item())


def test_minilm_task_fidelity():
    reference = load("minilm")
    noisy = copy.deepcopy(reference)
    torch.manual_seed(0)
    with torch.no_grad():
        for layer in noisy.bert.encoder.layer:
            w = layer.intermediate.dense.weight
            w.add_(0.2 * w.std() * torch.randn_like(w))
    worse = evaluate(noisy, "minilm", reference=reference, latency=False)  # timing: digits test
    m = worse.metrics
    assert 0.3 < m["cosine_min"] <= m["cosine_mean"] < 0.9999
    assert m["sqnr_db"] < 40 and 0 < m["neighbour_agreement"] <= 1
    assert m["size_bytes"] == serialized_size(noisy) and "median_ms" not in m


def test_bad_task_and_model():
    with pytest.raises(ValueError, match="digits, tinygpt, minilm"):
        evaluate(load("tinyvit-digits"), "imagenet")
    with pytest.raises(ValueError, match=r"eval\(\)"):
        evaluate(load("tinyvit-digits").train(), "digits")
    with pytest.raises(TypeError, match="nn.Module"):
        evaluate(lambda x: x, "digits")
