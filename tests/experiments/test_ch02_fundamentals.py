"""qtlib.experiments.ch02_fundamentals: hooks, and caching (without loading MiniLM)."""

import pytest
import torch
from torch import nn

from qtlib.experiments import ch02_fundamentals as ch02x
from qtlib.quant import QuantSpec


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 8)
        self.b = nn.Linear(8, 2)

    def forward(self, x):
        return self.b(torch.relu(self.a(x)))


def test_capture_linear_inputs_keeps_each_input_and_removes_the_hooks():
    model = Tiny()
    x = torch.randn(3, 4)
    got = ch02x.capture_linear_inputs(model, {"x": x})
    assert set(got) == {"a", "b"}
    assert torch.equal(got["a"], x)
    assert torch.equal(got["b"], torch.relu(model.a(x)).detach())
    assert not model.a._forward_pre_hooks and not model.b._forward_pre_hooks
    assert set(ch02x.capture_linear_inputs(model, {"x": x}, ["b"])) == {"b"}
    with pytest.raises(ValueError, match="names not found"):
        ch02x.capture_linear_inputs(model, {"x": x}, ["c"])


def test_cached_results_are_read_back(tmp_path, monkeypatch):
    monkeypatch.setenv("QTLIB_CACHE_DIR", str(tmp_path))
    calls = []

    def compute():
        calls.append(1)
        return {"x": torch.arange(3)}

    path = ch02x._cache_path("unit", 1)
    first = ch02x._cached(path, compute, True)
    second = ch02x._cached(path, compute, True)
    assert torch.equal(first["x"], second["x"]) and len(calls) == 1
    ch02x._cached(path, compute, False)
    assert len(calls) == 2


def test_weight_sqnr_table_on_a_small_model(tmp_path, monkeypatch):
    monkeypatch.setenv("QTLIB_CACHE_DIR", str(tmp_path))
    model = Tiny()
    specs = {"int8": QuantSpec(8), "int4": QuantSpec(4)}
    table = ch02x.weight_sqnr_table(specs, model=model)
    assert list(table.columns) == ["int8", "int4"] and list(table.index) == ["a", "b"]
    assert bool((table["int8"] > table["int4"] + 15).all())
    # cached: a second call does not need the model
    assert ch02x.weight_sqnr_table(specs).equals(table)
