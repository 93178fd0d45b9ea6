"""qtlib.quant.error (SQNR, clipping) and qtlib.quant.intmath (integer linear arithmetic, ch02)."""

import math

import pytest
import torch

from qtlib.quant import QuantSpec, choose_qparams, dequantize, quantize
from qtlib.quant.error import DB_PER_BIT, clipped_fraction, sqnr_db
from qtlib.quant.intmath import (
    accumulator_bound,
    dot_exact,
    dot_without_vnni,
    pairwise_dot_int16,
    quantize_bias,
    requantize,
    saturated_pairs,
)


def test_sqnr_db_definition_and_edge_cases():
    x = torch.tensor([3.0, 4.0])
    assert sqnr_db(x, torch.tensor([3.0, 3.0])) == pytest.approx(10 * math.log10(25))
    assert sqnr_db(x, x.clone()) == math.inf
    assert sqnr_db(x, torch.zeros(2)) == pytest.approx(0.0)
    assert DB_PER_BIT == pytest.approx(6.0206, abs=1e-4)
    with pytest.raises(ValueError, match="same shape"):
        sqnr_db(x, torch.zeros(3))
    with pytest.raises(ValueError, match="all zero"):
        sqnr_db(torch.zeros(3), torch.ones(3))
    with pytest.raises(TypeError, match="x_hat"):
        sqnr_db(x, [3.0, 3.0])


def test_clipped_fraction():
    x = torch.arange(10.0)
    assert clipped_fraction(x, 1.0, 8.0) == pytest.approx(0.2)
    assert clipped_fraction(x, -1.0, 100.0) == 0.0
    with pytest.raises(ValueError, match="lo"):
        clipped_fraction(x, 2.0, 1.0)


def test_accumulator_bound():
    b = accumulator_bound(384)
    assert b["max_abs"] == 384 * 128 * 128 and b["fits_int32"] and not b["fits_int16"]
    assert b["max_k_int32"] == (2**31 - 1) // 16384 == 131071
    assert accumulator_bound(2, (0, 255))["max_abs"] == 2 * 255 * 128
    assert accumulator_bound(2, (0, 127))["fits_int16"]
    with pytest.raises(ValueError, match="k"):
        accumulator_bound(0)
    with pytest.raises(ValueError, match="a_range"):
        accumulator_bound(4, (5, 1))
    with pytest.raises(TypeError, match="k"):
        accumulator_bound(2.0)


def test_integer_linear_matches_float_within_one_step():
    torch.manual_seed(0)
    x, w, b = torch.randn(32, 96), torch.randn(48, 96) * 0.1, torch.randn(48) * 0.2
    xs_spec = QuantSpec(8, signed=False, symmetric=False)
    ws_spec = QuantSpec(8, granularity="per_channel", axis=0)
    ys_spec = QuantSpec(8, symmetric=False)
    xs, xz = choose_qparams(x, xs_spec)
    ws, wz = choose_qparams(w, ws_spec)
    xq, wq = quantize(x, xs, xz, xs_spec), quantize(w, ws, wz, ws_spec)
    y_deq = dequantize(xq, xs, xz, xs_spec) @ dequantize(wq, ws, wz, ws_spec).T + b
    ys, yz = choose_qparams(y_deq, ys_spec)
    acc = (xq.to(torch.int32) - xz) @ wq.to(torch.int32).T + quantize_bias(b, xs, ws)
    assert acc.dtype == torch.int32
    yq = requantize(acc, xs * ws / ys, int(yz))
    ref = quantize(y_deq, ys, yz, ys_spec).to(torch.int32)
    assert int((yq - ref).abs().max()) <= 1
    with pytest.raises(TypeError, match="acc"):
        requantize(acc.float(), 1.0, 0)
    with pytest.raises(TypeError, match="bias"):
        quantize_bias(torch.ones(3, dtype=torch.int32), 0.1, 0.1)


def test_vpmaddubsw_saturates_full_range_but_not_7_bit_activations():
    a = torch.full((4,), 255, dtype=torch.uint8)
    w = torch.full((4,), -128, dtype=torch.int8)
    assert pairwise_dot_int16(a, w).tolist() == [-32768, -32768]
    assert int(dot_without_vnni(a, w)) == -65536 and int(dot_exact(a, w)) == -130560
    assert bool(saturated_pairs(a, w).all())
    torch.manual_seed(0)
    a7 = torch.randint(0, 128, (64, 256), dtype=torch.uint8)
    w8 = torch.randint(-128, 128, (64, 256), dtype=torch.int8)
    assert torch.equal(dot_without_vnni(a7, w8), dot_exact(a7, w8))
    assert not bool(saturated_pairs(a7, w8).any())
    with pytest.raises(TypeError, match="a must be a uint8"):
        pairwise_dot_int16(a.to(torch.int8), w)
    with pytest.raises(ValueError, match="even"):
        pairwise_dot_int16(a[:3], w[:3])
