"""qtlib.eval.profile: operator groups, Amdahl's law, GEMM shapes and the int8 GEMM timing."""

import pytest
import torch
from torch import nn

from qtlib.eval.profile import (
    GROUPS,
    amdahl,
    gemm_speedup,
    group_of,
    linear_shapes,
    profile_groups,
)
from qtlib.models import TinyViT, TinyViTConfig


def test_group_of_top_level_operators():
    assert group_of("aten::linear") == "linear layers"
    assert group_of("aten::scaled_dot_product_attention") == "attention"
    assert group_of("aten::layer_norm") == "norms"
    assert group_of("aten::gelu") == "elementwise"
    assert group_of("aten::embedding") == "embedding lookups"
    assert group_of("aten::view") == "other"
    assert len({n for names in GROUPS.values() for n in names}) == sum(map(len, GROUPS.values()))


def test_amdahl_by_hand():
    assert amdahl(0.8, 4.0) == pytest.approx(2.5)
    assert amdahl(0.5, float("inf")) == pytest.approx(2.0)
    assert amdahl(0.0, 10.0) == 1.0 and amdahl(1.0, 3.0) == pytest.approx(3.0)
    with pytest.raises(ValueError, match="fraction"):
        amdahl(1.2, 2.0)
    with pytest.raises(ValueError, match="speedup"):
        amdahl(0.5, 0.0)


def test_linear_shapes_of_tinyvit():
    model = TinyViT(TinyViTConfig())
    shapes = linear_shapes(model, tokens=17)
    assert shapes[0] == (17, 4, 64)                       # the patch embedding
    assert (17, 64, 192) in shapes and (17, 128, 64) in shapes
    assert len(shapes) == 2 + 4 * 2                        # patch, head, 4 per block
    with pytest.raises(ValueError, match="tokens"):
        linear_shapes(model, 0)


def test_profile_groups_sums_to_one_and_keeps_the_notebook_quiet(capfd):
    model = nn.Sequential(nn.Linear(64, 256), nn.GELU(), nn.Linear(256, 64),
                          nn.LayerNorm(64)).eval()
    before = torch.get_num_threads()
    prof = profile_groups(model, torch.randn(32, 64), threads=1, warmup=1, repeats=3)
    assert torch.get_num_threads() == before
    assert prof.threads == 1 and prof.repeats == 3
    assert set(prof.groups.index) >= {"linear layers", "elementwise", "norms"}
    assert prof.groups["share"].sum() == pytest.approx(1.0)
    assert prof.operators.loc["aten::linear", "calls_per_call"] == 2
    assert prof.share("attention") == 0.0 and prof.total_ms > 0
    assert "USDT" not in capfd.readouterr().err    # the profiler's native start/stop lines
    with pytest.raises(ValueError, match="group"):
        prof.share("matmuls")
    with pytest.raises(ValueError, match="repeats"):
        profile_groups(model, torch.randn(2, 64), repeats=0)
    with pytest.raises(ValueError, match="training mode"):
        profile_groups(model.train(), torch.randn(2, 64))


def test_gemm_speedup_measures_both_kernels():
    result = gemm_speedup([(8, 32, 16), (8, 16, 32)], threads=1, budget_s=0.05)
    assert result["float32_ms"] > 0 and result["int8_ms"] > 0
    assert result["speedup"] == pytest.approx(result["float32_ms"] / result["int8_ms"])
    assert result["threads"] == 1 and result["rounds"] >= 10
    with pytest.raises(ValueError, match="empty"):
        gemm_speedup([])
    with pytest.raises(ValueError, match="K must be"):
        gemm_speedup([(4, 1, 4)])
    with pytest.raises(ValueError, match="M, K, N"):
        gemm_speedup([(4, 4)])
