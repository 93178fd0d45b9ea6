"""Memory figures against known module sizes."""

import pytest
import torch
from eval_helpers import Allocates, PackedInt4Linear
from torch import nn

from qtlib.eval import (
    module_breakdown,
    param_bytes_by_dtype,
    peak_forward_memory,
    serialized_size,
    total_bytes,
)
from qtlib.models import TinyGPT, TinyGPTConfig


def test_float_linear():
    assert param_bytes_by_dtype(nn.Linear(10, 20)) == {"float32": (200 + 20) * 4}


def test_packed_int4_buffers_count():
    m = PackedInt4Linear(64, 16)
    # 16 x 32 packed bytes, 16 float32 scales, 16 float32 bias, 3 float32 non-persistent scratch
    assert param_bytes_by_dtype(m) == {"uint8": 512, "float32": (16 + 16 + 3) * 4}
    assert sum(p.numel() for p in m.parameters()) * 4 == 64  # what parameters() alone would see


def test_tied_weights_count_once():
    model = nn.Sequential(nn.Embedding(100, 8), nn.Linear(8, 100, bias=False))
    model[1].weight = model[0].weight
    assert total_bytes(model) == 100 * 8 * 4


def test_torch_ao_packed_weights_are_found():
    from torch.ao.quantization import quantize_dynamic

    q = quantize_dynamic(nn.Sequential(nn.Linear(64, 32)).eval(), {nn.Linear}, dtype=torch.qint8)
    sizes = param_bytes_by_dtype(q)
    assert sizes.get("qint8") == 64 * 32  # lives only in the state dict's packed params


def test_serialized_size_close_to_raw_bytes():
    m = nn.Linear(100, 100)
    raw = total_bytes(m)
    size = serialized_size(m)
    assert raw < size < raw + 4096
    assert serialized_size(m.state_dict()) == size
    with pytest.raises(TypeError):
        serialized_size([1, 2])


def test_breakdown_by_kind_for_tinygpt():
    cfg = TinyGPTConfig(dim=16, depth=2, num_heads=2, block_size=8)
    model = TinyGPT(cfg).eval()
    table = module_breakdown(model).set_index("kind")
    d = 16
    emb = 256 * d + 8 * d
    attn = 2 * (d * 3 * d + 3 * d + d * d + d)
    norms = (2 * 2 + 1) * 2 * d
    linear = 2 * (d * 4 * d + 4 * d + 4 * d * d + d) + d * 256
    assert table.loc["embeddings", "params"] == emb
    assert table.loc["attention", "params"] == attn
    assert table.loc["norms", "params"] == norms
    assert table.loc["linear", "params"] == linear
    assert table.loc["other", "params"] == 0
    assert table["bytes"].sum() == total_bytes(model)
    assert table["share"].sum() == pytest.approx(1.0)
    per_module = module_breakdown(model, by="module")
    assert per_module["bytes"].sum() == total_bytes(model)
    assert set(per_module.loc[per_module.module == "blocks.0.attn.qkv", "kind"]) == {"attention"}
    with pytest.raises(ValueError, match="by must be"):
        module_breakdown(model, by="layer")


def test_breakdown_counts_tinyvit_position_embedding():
    from qtlib.models import load

    model = load("tinyvit-digits")
    table = module_breakdown(model).set_index("kind")
    cfg = model.cfg
    expected = (4 * cfg.dim + cfg.dim) + cfg.dim + 17 * cfg.dim  # patch_embed, cls, pos
    assert table.loc["embeddings", "params"] == expected


@pytest.mark.timeout(300)
def test_peak_forward_memory_sees_the_forward_allocation():
    small = peak_forward_memory(Allocates(1).eval(), torch.zeros(2))
    big = peak_forward_memory(Allocates(96).eval(), torch.zeros(2))
    assert big["forward_peak_bytes"] >= 90 * 2**20
    assert small["forward_peak_bytes"] < 40 * 2**20
    assert big["baseline_rss_bytes"] > 0 and big["peak_rss_bytes"] >= big["baseline_rss_bytes"]


def test_peak_forward_memory_bad_input():
    with pytest.raises(ValueError, match="eval()"):
        peak_forward_memory(Allocates(1).train(), torch.zeros(2))

    class InMain(nn.Module):
        def forward(self, x):
            return x

    InMain.__module__ = "__main__"
    with pytest.raises(ValueError, match="Move the class into a .py module"):
        peak_forward_memory(InMain().eval(), torch.zeros(2))
