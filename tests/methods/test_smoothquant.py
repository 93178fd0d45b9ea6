"""SmoothQuant (ch03): scales, folding that leaves the float model unchanged, the recipe."""

from __future__ import annotations

import pytest
import torch

from qtlib.methods import SmoothQuant, StaticInt8, apply, recipe_from_dict, smooth
from qtlib.methods.smoothquant import (
    outlier_channels,
    smoothing_groups,
    smoothing_scales,
)
from qtlib.models import TinyViT, TinyViTConfig
from qtlib.nn import InputScaledLinear, StaticInt8Linear


def test_scales_follow_the_formula_and_survive_zeros():
    act = torch.tensor([4.0, 0.0, 9.0, 1.0])
    w = torch.tensor([1.0, 2.0, 0.0, 0.25])
    s = smoothing_scales(act, w, alpha=0.5)
    assert torch.isfinite(s).all() and (s > 0).all()
    assert s[0] == pytest.approx(2.0) and s[3] == pytest.approx(2.0)
    assert torch.allclose(smoothing_scales(act[[0]], w[[0]], 1.0), torch.tensor([4.0]))
    assert torch.allclose(smoothing_scales(act[[0]], w[[0]], 0.0), torch.tensor([1.0]))
    with pytest.raises(ValueError):
        smoothing_scales(act, w, alpha=1.5)


def test_outlier_channels_finds_planted_channels():
    torch.manual_seed(0)
    x = torch.randn(5, 7, 64)
    x[..., [3, 40]] *= 50
    assert outlier_channels(x).tolist() == [3, 40]


def _vit_with_outliers() -> tuple[TinyViT, list[torch.Tensor]]:
    torch.manual_seed(0)
    model = TinyViT(TinyViTConfig()).eval()
    with torch.no_grad():                 # plant outlier channels in the LayerNorm outputs
        for block in model.blocks:
            block.norm1.weight[:3] *= 30
            block.norm2.weight[5:7] *= 30
    return model, [torch.rand(16, 1, 8, 8) for _ in range(2)]


@pytest.mark.parametrize("explicit", [True, False])
def test_smoothing_leaves_a_random_vit_unchanged(explicit):
    model, batches = _vit_with_outliers()
    smoothed, names, scales = smooth(model, batches, alpha=0.5, explicit=explicit)
    x = torch.rand(8, 1, 8, 8)
    with torch.no_grad():
        assert (smoothed(x) - model(x)).abs().max() <= 1e-5
    kinds = {g.linears[0]: g.kind for g in smoothing_groups(model)}
    assert kinds["blocks.0.attn.qkv"] == "layernorm" and kinds["blocks.0.attn.proj"] == "linear"
    assert kinds["blocks.0.mlp.fc2"] == "explicit" and kinds["head"] == "layernorm"
    wrapped = isinstance(smoothed.blocks[0].mlp.fc2, InputScaledLinear)
    assert wrapped == explicit
    assert any((s != 1).any() for s in scales.values())
    assert model.blocks[0].norm1.weight[0] > 10          # the given model is not changed


def test_smoothing_leaves_minilm_unchanged(minilm_small):
    model, cal, ev = minilm_small
    smoothed, names, scales = smooth(model, cal, alpha=0.5)
    assert len(scales) == 36
    with torch.no_grad():
        for batch in ev:
            assert (smoothed(**batch) - model(**batch)).abs().max() <= 1e-5
    kinds = {g.linears[0]: g.kind for g in smoothing_groups(model)}
    assert kinds["bert.encoder.layer.2.attention.output.dense"] == "linear"
    assert kinds["bert.encoder.layer.2.attention.self.query"] == "explicit"


@pytest.fixture(scope="module")
def minilm_small():
    from qtlib.data import sentences
    from qtlib.models import load

    model = load("minilm")
    s = sentences()
    return model, [model.tokenize(s[:16])], [model.tokenize(s[40:56])]


def test_recipe_quantizes_every_linear_and_round_trips(minilm_small):
    model, cal, ev = minilm_small
    recipe = SmoothQuant(alpha=0.5)
    assert recipe_from_dict(recipe.to_dict()) == recipe and recipe.setting == "alpha=0.5"
    q, report = apply(model, recipe, cal)
    n_static = sum(isinstance(m, StaticInt8Linear) for m in q.modules())
    assert n_static == 36
    assert report.method == "smoothquant"
    with pytest.raises(ValueError):
        SmoothQuant(alpha=2)
    with pytest.raises(ValueError):
        apply(model, recipe, None)


def test_migration_helps_static_w8a8_when_outliers_are_planted():
    model, batches = _vit_with_outliers()
    x = torch.rand(64, 1, 8, 8)
    with torch.no_grad():
        ref = model(x)
        errs = {}
        for r in (StaticInt8(), SmoothQuant(alpha=0.5)):
            q, _ = apply(model, r, batches)
            errs[r.name] = (q(x) - ref).pow(2).mean().item()
    assert errs["smoothquant"] < errs["static_int8"]
