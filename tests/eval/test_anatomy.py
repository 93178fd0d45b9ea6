"""qtlib.eval.anatomy: counts from dimensions equal the real modules' numel() and FLOP counter."""

import pytest
import torch
from torch import nn

from qtlib import models
from qtlib.eval import param_bytes_by_dtype
from qtlib.eval.anatomy import (
    COMPONENTS,
    TransformerDims,
    breakdown,
    compare_with_model,
    dims_from_config,
    dims_of,
    measured_bytes,
    measured_flops,
    measured_params,
    sweep,
)
from qtlib.models import TinyGPT, TinyGPTConfig, TinyViT, TinyViTConfig


@pytest.fixture(scope="module")
def minilm():
    return models.load("minilm")


def _inputs(model, dims):
    if isinstance(model, TinyViT):
        cfg = model.cfg
        return torch.rand(1, cfg.in_channels, cfg.image_size, cfg.image_size)
    if isinstance(model, TinyGPT):
        return torch.zeros(1, dims.seq_len, dtype=torch.int64)
    return model.tokenize(["a sentence to count"], pad_to=dims.seq_len)


@pytest.mark.parametrize("name", ["tinyvit-digits", "tinygpt"])
def test_small_models_match_numel_and_flop_counter(name):
    model = models.load(name)
    dims = dims_of(model)
    table = compare_with_model(dims, model, _inputs(model, dims))
    assert table["match"].all(), table
    assert list(table.index) == list(COMPONENTS)
    assert table["params"].sum() == sum(p.numel() for p in model.parameters())


def test_minilm_matches_numel_and_flop_counter(minilm):
    dims = dims_of(minilm)
    assert (dims.dim, dims.depth, dims.num_heads, dims.ffn_dim) == (384, 6, 12, 1536)
    assert (dims.vocab_size, dims.max_positions, dims.seq_len) == (30522, 512, 128)
    table = compare_with_model(dims, minilm, _inputs(minilm, dims))
    assert table["match"].all(), table
    assert table["params"].sum() == sum(p.numel() for p in minilm.parameters())
    # at another length too: the attention kernel's FLOPs grow with T^2
    short = dims.replace(seq_len=32)
    assert compare_with_model(short, minilm, _inputs(minilm, short))["match"].all()


@pytest.mark.parametrize("cfg", [TinyViTConfig(dim=32, depth=3, num_heads=2, mlp_ratio=3),
                                 TinyViTConfig(image_size=12, patch_size=3, in_channels=3),
                                 TinyGPTConfig(dim=48, depth=2, num_heads=3, block_size=20,
                                               vocab_size=100)])
def test_other_configurations_match_too(cfg):
    model = (TinyViT if isinstance(cfg, TinyViTConfig) else TinyGPT)(cfg).eval()
    dims = dims_from_config(cfg)
    assert compare_with_model(dims, model, _inputs(model, dims))["match"].all()


def test_block_formula_by_hand():
    d, f, t = 8, 32, 5
    b = breakdown(TransformerDims(dim=d, depth=1, num_heads=2, ffn_dim=f, seq_len=t,
                                  extra_norms=0))
    assert b.params["attention_proj"] == 4 * (d * d + d)
    assert b.params["ffn"] == 2 * d * f + f + d
    assert b.params["norms"] == 2 * 2 * d
    assert b.flops == {"embeddings": 0, "attention_proj": 2 * t * d * 4 * d,
                       "attention_scores": 4 * t * t * d, "ffn": 4 * t * d * f, "norms": 0,
                       "head": 0}
    layer = nn.TransformerEncoderLayer(d, 2, dim_feedforward=f, batch_first=True)
    assert b.total("params") == sum(p.numel() for p in layer.parameters())


def test_heads_change_nothing_and_bytes_follow_the_bits():
    base = TransformerDims(dim=64, depth=2, num_heads=1, ffn_dim=256, seq_len=16,
                           vocab_size=100, max_positions=16, num_outputs=100)
    eight = breakdown(base.replace(num_heads=8))
    assert (eight.params, eight.flops, eight.bytes) == (breakdown(base).params,
                                                      breakdown(base).flops,
                                                      breakdown(base).bytes)
    full, four = breakdown(base), breakdown(base, weight_bits=4)
    assert full.bytes["ffn"] == 4 * full.params["ffn"]
    # two blocks of 4-bit matrices (half a byte each) and float32 biases
    assert four.bytes["ffn"] == 2 * ((2 * 64 * 256) // 2 + 4 * (256 + 64))
    assert four.bytes["norms"] == full.bytes["norms"]
    assert four.shares("bytes")["norms"] > full.shares("bytes")["norms"]


def test_shares_dominant_and_sweep():
    dims = TransformerDims(dim=384, depth=6, num_heads=12, ffn_dim=1536, seq_len=128,
                           vocab_size=30522, max_positions=512, type_vocab_size=2)
    b = breakdown(dims)
    assert abs(sum(b.shares("flops").values()) - 1) < 1e-12
    assert b.dominant("params") == "embeddings" and b.dominant("flops") == "ffn"
    frame = sweep(dims, "seq_len", [128, 1536, 1537, 4096])
    assert list(frame.columns) == list(COMPONENTS)
    assert frame.loc[1537, "attention_scores"] > frame.loc[1537, "ffn"]
    assert frame.loc[1536, "attention_scores"] == frame.loc[1536, "ffn"]   # tie at T = f
    assert frame.loc[4096].idxmax() == "attention_scores"                  # positions grew
    assert b.to_frame().loc["embeddings", "params_share"] == b.shares("params")["embeddings"]


@pytest.mark.parametrize("changes, fragment", [
    ({"num_heads": 5}, "num_heads"), ({"seq_len": 600}, "max_positions"),
    ({"dim": 0}, "dim"), ({"depth": 1.5}, "depth"), ({"vocab_size": -1}, "vocab_size"),
])
def test_bad_dimensions_name_the_argument(changes, fragment):
    dims = TransformerDims(dim=384, depth=6, num_heads=12, ffn_dim=1536, seq_len=128,
                           max_positions=512)
    with pytest.raises((ValueError, TypeError), match=fragment):
        dims.replace(**changes)


def test_bad_arguments():
    dims = TransformerDims(dim=8, depth=1, num_heads=1, ffn_dim=8, seq_len=4)
    with pytest.raises(ValueError, match="weight_bits"):
        breakdown(dims, weight_bits=12)
    with pytest.raises(TypeError, match="TransformerDims"):
        breakdown({"dim": 8})
    with pytest.raises(ValueError, match="field"):
        sweep(dims, "width", [1, 2])
    with pytest.raises(ValueError, match="metric"):
        breakdown(dims).shares("time")
    with pytest.raises(TypeError, match="configuration"):
        dims_from_config(object())
    with pytest.raises(TypeError, match="cfg"):
        dims_of(nn.Linear(2, 2))
    with pytest.raises(ValueError, match="17 tokens"):
        dims_from_config(TinyViTConfig(), seq_len=32)


def test_measured_bytes_by_component_and_dtype(minilm):
    stored = measured_bytes(minilm)
    assert stored["embeddings"]["int64"] == 2 * 512 * 8      # position and token-type ids
    assert sum(v for per in stored.values() for v in per.values()) == sum(
        param_bytes_by_dtype(minilm).values())
    dims = dims_of(minilm)
    expected = breakdown(dims).bytes
    for component, per in stored.items():
        assert per["float32"] == expected[component], component


class Int8Linear(nn.Module):
    """A stand-in quantized layer: int8 weight and float32 scale in buffers."""

    def __init__(self, fan_in, fan_out):
        super().__init__()
        self.register_buffer("weight_int8", torch.zeros(fan_out, fan_in, dtype=torch.int8))
        self.register_buffer("scale", torch.ones(fan_out))


def test_measured_counts_on_a_quantized_and_a_tied_model():
    model = TinyGPT(TinyGPTConfig(dim=32, depth=1, num_heads=2, block_size=8)).eval()
    model.lm_head.weight = model.tok_embed.weight                  # tied: counted once
    counts = measured_params(model)
    assert counts["head"] == 0
    assert sum(counts.values()) == sum(p.numel() for p in model.parameters())
    flops = measured_flops(model, torch.zeros(1, 8, dtype=torch.int64))
    assert flops["attention_scores"] == 4 * 8 * 8 * 32
    model.blocks[0].mlp.fc1 = Int8Linear(32, 128)
    stored = measured_bytes(model)
    assert stored["ffn"]["int8"] == 32 * 128
    assert stored["ffn"]["float32"] == 4 * (128 + 128 * 32 + 32)   # scale, fc2 weight and bias
    assert "head" not in stored                                     # the tied table is stored once
