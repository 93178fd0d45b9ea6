"""qtlib.methods transforms (never mutate, report every candidate) and qtlib.reference adapters."""

import copy
import io

import pytest
import torch
from torch import nn

from qtlib.methods import (
    Report,
    quantize_dynamic,
    quantize_static,
    quantize_weight_only,
    share_weights,
)
from qtlib.nn import (
    DynamicInt8Linear,
    Int8Embedding,
    StaticInt8Linear,
    WeightOnlyLinear,
    WeightSharedLinear,
    state_bytes,
)


class Tiny(nn.Module):
    """Embedding -> 2-layer MLP block -> head; names like a transformer's."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.embed = nn.Embedding(20, 32)
        self.block = nn.ModuleDict({"fc1": nn.Linear(32, 64), "fc2": nn.Linear(64, 32)})
        self.head = nn.Linear(32, 5)
        self.norm = nn.LayerNorm(32)

    def forward(self, ids, scale=1.0):
        h = self.embed(ids) * scale
        h = self.norm(h + self.block["fc2"](torch.relu(self.block["fc1"](h))))
        return self.head(h)


def _snapshot(model):
    return ({k: v.clone() for k, v in model.state_dict().items()},
            [type(m) for m in model.modules()],
            sum(len(m._forward_pre_hooks) + len(m._forward_hooks) for m in model.modules()))


def _unchanged(model, snap):
    sd, types, hooks = _snapshot(model)
    assert types == snap[1] and hooks == snap[2]
    assert sd.keys() == snap[0].keys()
    assert all(torch.equal(sd[k], snap[0][k]) for k in sd)


IDS = torch.randint(0, 20, (4, 6), generator=torch.Generator().manual_seed(1))
CALIB = [torch.randint(0, 20, (4, 6), generator=torch.Generator().manual_seed(s))
         for s in range(3)]

METHODS = {
    "dynamic": (lambda m, **kw: quantize_dynamic(m, **kw), DynamicInt8Linear),
    "static": (lambda m, **kw: quantize_static(m, CALIB, **kw), StaticInt8Linear),
    "weight_only": (lambda m, **kw: quantize_weight_only(m, num_bits=4, group_size=16, **kw),
                    WeightOnlyLinear),
    "share": (lambda m, **kw: share_weights(m, num_clusters=16, **kw), WeightSharedLinear),
}


@pytest.mark.parametrize("method", METHODS)
def test_methods_convert_report_and_never_mutate(method):
    fn, cls = METHODS[method]
    model = Tiny().eval()
    snap = _snapshot(model)
    ref = model(IDS).detach()
    new, report = fn(model)
    _unchanged(model, snap)
    assert isinstance(report, Report)
    assert new is not model
    names = [e.name for e in report.entries]
    assert {"block.fc1", "block.fc2", "head"} <= set(names)
    for e in report.converted:
        assert isinstance(new.get_submodule(e.name), (cls, Int8Embedding))
        assert e.bytes_after < e.bytes_before
        assert e.bytes_after == state_bytes(new.get_submodule(e.name))
        assert e.bytes_before == state_bytes(model.get_submodule(e.name))
    assert report.model_bytes_before == state_bytes(model)
    assert report.model_bytes_after == state_bytes(new)
    assert report.totals()["model_ratio"] < 1
    out = new(IDS).detach()
    assert out.shape == ref.shape
    assert float((out - ref).abs().max()) < 0.2 * float(ref.abs().max())
    frame = report.to_frame()
    assert list(frame["name"]) == names
    assert int(frame["bytes_after"].sum()) == report.bytes_after
    assert "converted" in repr(report) and "<table" in report._repr_html_()


def test_include_exclude_and_reasons():
    model = Tiny()
    new, report = quantize_dynamic(model, include=["block.*", "embed"], exclude="*fc2")
    by_name = {e.name: e for e in report.entries}
    assert by_name["block.fc1"].action == "converted"
    assert by_name["embed"].new_type == "Int8Embedding"
    assert "excluded by pattern '*fc2'" in by_name["block.fc2"].reason
    assert "not matched by include" in by_name["head"].reason
    assert type(new.head) is nn.Linear and type(new.block["fc2"]) is nn.Linear
    assert by_name["head"].bytes_after == by_name["head"].bytes_before
    _, report = quantize_dynamic(model, embeddings=False)
    assert "embed" not in {e.name for e in report.entries}
    with pytest.raises(TypeError, match="include"):
        quantize_dynamic(model, include=[3])


def test_bare_linear_root_is_converted():
    lin = nn.Linear(8, 4)
    new, report = quantize_dynamic(lin)
    assert isinstance(new, DynamicInt8Linear)
    assert report.entries[0].name == "" and "<root>" in repr(report)


def test_static_calibration_items_and_skips():
    model = Tiny().eval()
    # dict and tuple items are unpacked; the "scale" kwarg reaches forward
    new, report = quantize_static(model, [{"ids": CALIB[0], "scale": 2.0}, (CALIB[1],)],
                                  observer="percentile")
    assert len(report.converted) == 3 and report.settings["calibration_batches"] == 2
    # a layer that never ran is skipped with its reason
    model.extra = nn.Linear(3, 3)
    _, report = quantize_static(model, CALIB)
    extra = next(e for e in report.entries if e.name == "extra")
    assert extra.action == "skipped" and "never ran" in extra.reason
    with pytest.raises(ValueError, match="calibration_batches is empty"):
        quantize_static(model, [])
    with pytest.raises(ValueError, match="observer must be one of"):
        quantize_static(model, CALIB, observer="kl")
    with pytest.raises(TypeError, match="must be a Tensor, a tuple"):
        quantize_static(model, [3])
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        quantize_dynamic("model")


def test_weight_only_skips_indivisible_layers_and_checks_args():
    _, report = quantize_weight_only(Tiny(), num_bits=4, group_size=64)
    reasons = {e.name: e.reason for e in report.skipped}
    assert "group_size=64 does not divide in_features=32" in reasons["head"]
    with pytest.raises(ValueError, match="num_bits"):
        quantize_weight_only(Tiny(), num_bits=1)
    with pytest.raises(ValueError, match="num_clusters"):
        share_weights(Tiny(), num_clusters=1)


@pytest.mark.parametrize("method", METHODS)
def test_state_dict_round_trip_through_a_fresh_conversion(method):
    fn, _ = METHODS[method]
    model = Tiny().eval()
    new, _ = fn(model)
    buf = io.BytesIO()
    torch.save(new.state_dict(), buf)
    buf.seek(0)
    other = Tiny().eval()
    with torch.no_grad():
        for p in other.parameters():
            p.add_(1.0)  # different float weights: everything must come from the file
    fresh, _ = fn(other)
    fresh.load_state_dict(torch.load(buf))
    assert torch.equal(fresh(IDS), new(IDS))


@pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors:UserWarning")
def test_transformer_encoder_runs_after_qtlib_conversion():
    torch.manual_seed(0)
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(32, 4, 64, batch_first=True), 2,
                                enable_nested_tensor=True).eval()
    x = torch.randn(2, 5, 32)
    mask = torch.zeros(2, 5, dtype=torch.bool)
    mask[0, 3:] = True
    snap = _snapshot(enc)
    for fn in (lambda m: quantize_dynamic(m), lambda m: quantize_static(m, [x])):
        new, report = fn(enc)
        assert report.notes and "fast path" in report.notes[0]
        skipped = {e.name: e.reason for e in report.skipped}
        assert "subclass" in skipped["layers.0.self_attn.out_proj"]
        with torch.no_grad():
            ref = enc(x, src_key_padding_mask=mask)
            out = new(x, src_key_padding_mask=mask)
        assert float((out - ref)[1].abs().max()) < 0.1
    _unchanged(enc, snap)


def test_reference_adapters():

    torch.manual_seed(0)
    torch.set_grad_enabled(False)
    try:
        _check_reference_adapters()
    finally:
        torch.set_grad_enabled(True)


def _check_reference_adapters():
    from qtlib.reference import (
        mha_fastpath_disabled,
        torch_ao_quantize_dynamic,
        torch_ao_quantize_static,
        torchao_int8_dynamic,
        torchao_int8_weight_only,
    )

    lin = nn.Linear(16, 8)
    x = torch.randn(4, 16)
    q = torch_ao_quantize_dynamic(lin)  # the bare-root trap: wrapped, so really quantized
    assert "DynamicQuantizedLinear" in repr(q)
    assert 0 < float((q(x) - lin(x)).abs().max()) < 0.05
    mlp = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 8)).eval()
    snap = _snapshot(mlp)
    s = torch_ao_quantize_static(mlp, [torch.randn(8, 16) for _ in range(3)])
    assert "QuantizedLinear" in repr(s)
    assert float((s(x) - mlp(x)).abs().max()) < 0.05
    for fn in (torchao_int8_dynamic, torchao_int8_weight_only):
        t = fn(mlp)
        assert "Int8Tensor" in repr(t)
        assert float((t(x) - mlp(x)).abs().max()) < 0.05
    _unchanged(mlp, snap)
    # the transformer fast-path trap and its fix
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(32, 4, 64, batch_first=True), 1,
                                enable_nested_tensor=False).eval()
    qa = torch_ao_quantize_dynamic(enc)
    assert not any(m.training for m in qa.modules()), "the result keeps the input's eval mode"
    xe = torch.randn(2, 5, 32)
    with pytest.raises(AttributeError):
        qa(xe)
    before = torch.backends.mha.get_fastpath_enabled()
    with mha_fastpath_disabled():
        assert not torch.backends.mha.get_fastpath_enabled()
        out = qa(xe)
    assert torch.backends.mha.get_fastpath_enabled() == before
    assert float((out - enc(xe)).abs().max()) < 0.2
    copy.deepcopy(qa)
