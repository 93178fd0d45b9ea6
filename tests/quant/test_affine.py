"""qtlib.quant primitives: bit-exact against torch / torch.ao / torchao, properties, bad input."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from qtlib.quant import (
    QuantSpec,
    choose_qparams,
    dequantize,
    fake_quantize,
    qparams_from_min_max,
    quantize,
)

SETTINGS = settings(max_examples=60, deadline=None)


@st.composite
def tensors(draw, min_dims=1, max_dims=3):
    """Random float32 tensors with mixed magnitudes, exact ties and far-out values."""
    shape = draw(st.lists(st.integers(1, 6), min_size=min_dims, max_size=max_dims))
    seed = draw(st.integers(0, 2**31 - 1))
    mag = draw(st.sampled_from([1e-3, 1.0, 50.0, 1e4]))
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(shape, generator=g) * mag
    return x


def _ties(scale: float, n: int = 64) -> torch.Tensor:
    """Values that land exactly on k + 0.5 codes, plus far outside the range."""
    k = torch.arange(-n // 2, n // 2, dtype=torch.float32)
    return torch.cat([(k + 0.5) * scale, torch.tensor([1e6, -1e6, 3e9, -3e9]) * scale])


@SETTINGS
@given(x=tensors(), scale=st.floats(1e-4, 10.0), zp=st.integers(-128, 127),
       bits=st.integers(2, 8), signed=st.booleans())
def test_fake_quantize_per_tensor_bit_exact(x, scale, zp, bits, signed):
    spec = QuantSpec(num_bits=bits, signed=signed, symmetric=False)
    zp = min(max(zp, spec.qmin), spec.qmax)
    scale = float(torch.tensor(scale, dtype=torch.float32))
    x = torch.cat([x.reshape(-1), _ties(scale)])
    ours = fake_quantize(x, torch.tensor(scale), torch.tensor(zp, dtype=torch.int32), spec)
    ref = torch.fake_quantize_per_tensor_affine(x, scale, zp, spec.qmin, spec.qmax)
    assert torch.equal(ours, ref)
    q = quantize(x, scale, zp, spec)
    assert q.dtype == spec.dtype
    assert torch.equal(dequantize(q, scale, zp, spec), ref)


@SETTINGS
@given(x=tensors(min_dims=2), data=st.data(), bits=st.integers(2, 8))
def test_fake_quantize_per_channel_bit_exact(x, data, bits):
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    spec = QuantSpec(num_bits=bits, symmetric=False, granularity="per_channel", axis=axis)
    n = x.shape[axis]
    scale = torch.tensor(data.draw(st.lists(st.floats(1e-3, 5.0), min_size=n, max_size=n)),
                         dtype=torch.float32)
    zp = torch.tensor(data.draw(st.lists(st.integers(spec.qmin, spec.qmax), min_size=n,
                                         max_size=n)), dtype=torch.int32)
    # put an exact tie and a far-out value into every channel
    x = x.clone().movedim(axis, 0)
    x[:, ...].reshape(n, -1)[:, 0] = (zp.float() * 0 + 2.5) * scale
    x = x.movedim(0, axis)
    ours = fake_quantize(x, scale, zp, spec)
    ref = torch.fake_quantize_per_channel_affine(x, scale, zp, axis % x.ndim, spec.qmin,
                                                 spec.qmax)
    assert torch.equal(ours, ref)


def test_fake_quantize_gradient_matches_torch():
    x = torch.linspace(-3, 3, 101, requires_grad=True)
    spec = QuantSpec(num_bits=4, symmetric=False)
    fake_quantize(x, 0.1, 3, spec).sum().backward()
    x2 = x.detach().clone().requires_grad_(True)
    torch.fake_quantize_per_tensor_affine(x2, 0.1, 3, spec.qmin, spec.qmax).sum().backward()
    assert torch.equal(x.grad, x2.grad)
    assert 0 < x.grad.sum() < x.numel()  # some values were clipped, some passed


@SETTINGS
@given(x=tensors(), bits=st.integers(2, 8), signed=st.booleans(), symmetric=st.booleans())
def test_choose_qparams_matches_torch_ao_minmax(x, bits, signed, symmetric):
    from torch.ao.quantization.observer import MinMaxObserver

    spec = QuantSpec(num_bits=bits, signed=signed, symmetric=symmetric)
    obs = MinMaxObserver(dtype=torch.qint8 if signed else torch.quint8,
                         qscheme=torch.per_tensor_symmetric if symmetric
                         else torch.per_tensor_affine, quant_min=spec.qmin, quant_max=spec.qmax)
    if bits == 8:  # the default range: torch.ao's own unsigned symmetric zero-point 128
        obs = MinMaxObserver(dtype=torch.qint8 if signed else torch.quint8,
                             qscheme=torch.per_tensor_symmetric if symmetric
                             else torch.per_tensor_affine)
    obs(x)
    ref_s, ref_z = obs.calculate_qparams()
    s, z = choose_qparams(x, spec)
    assert torch.equal(s.reshape(1), ref_s.reshape(1))
    assert torch.equal(z.reshape(1).long(), ref_z.reshape(1).long())


@SETTINGS
@given(x=tensors(min_dims=2), data=st.data(), symmetric=st.booleans())
def test_choose_qparams_matches_torch_ao_per_channel(x, data, symmetric):
    from torch.ao.quantization.observer import PerChannelMinMaxObserver

    axis = data.draw(st.integers(0, x.ndim - 1))
    spec = QuantSpec(symmetric=symmetric, granularity="per_channel", axis=axis)
    obs = PerChannelMinMaxObserver(ch_axis=axis, dtype=torch.qint8,
                                   qscheme=torch.per_channel_symmetric if symmetric
                                   else torch.per_channel_affine)
    obs(x)
    ref_s, ref_z = obs.calculate_qparams()
    s, z = choose_qparams(x, spec)
    assert torch.equal(s, ref_s)
    assert torch.equal(z.long(), ref_z.long())


@SETTINGS
@given(x=tensors(min_dims=2, max_dims=2))
def test_symmetric_per_channel_int8_matches_torchao(x):
    from torchao.quantization.quant_primitives import (
        MappingType,
        choose_qparams_affine,
        quantize_affine,
    )

    if x.shape[1] == 1:  # torchao 0.18 mis-reshapes block_size (1, 1): widen the rows
        x = torch.cat([x, -0.5 * x], dim=1)
    spec = QuantSpec(granularity="per_channel", axis=0)
    block = (1, x.shape[1])
    ref_s, ref_z = choose_qparams_affine(x, MappingType.SYMMETRIC, block, torch.int8,
                                         eps=torch.finfo(torch.float32).eps, keepdim=True)
    ref_s, ref_z = ref_s.reshape(x.shape[0], 1), ref_z.reshape(x.shape[0], 1)
    s, z = choose_qparams(x, spec)
    assert torch.equal(s, ref_s.reshape(-1))
    assert torch.equal(z, ref_z.reshape(-1).to(torch.int32))
    ref_q = quantize_affine(x, block, ref_s, ref_z, torch.int8)
    assert torch.equal(quantize(x, s, z, spec), ref_q)


@SETTINGS
@given(x=tensors(), bits=st.integers(2, 8), signed=st.booleans(), symmetric=st.booleans(),
       gran=st.sampled_from(["per_tensor", "per_token", "per_channel", "per_group"]))
def test_round_trip_zero_and_monotone(x, bits, signed, symmetric, gran):
    extra = {"axis": -1} if gran == "per_channel" else {}
    if gran == "per_group":
        extra = {"group_size": 1 if x.shape[-1] % 2 else 2}
    spec = QuantSpec(num_bits=bits, signed=signed, symmetric=symmetric, granularity=gran,
                     **extra)
    s, z = choose_qparams(x, spec)
    q = quantize(x, s, z, spec)
    assert int(q.min()) >= spec.qmin and int(q.max()) <= spec.qmax
    x_hat = dequantize(q, s, z, spec)
    # round trip: the min-max range is covered to within half a step (the symmetric rule puts
    # max at code 127.5, which rounds to 128 and clips to 127), so the error is at most scale/2
    # up to float32 rounding of x_hat - x
    from qtlib.quant.affine import _broadcast, _grouped
    sb = _broadcast(s, _grouped(x, spec), spec)
    err = _grouped((x_hat - x).abs(), spec)
    fp = _grouped(4 * torch.finfo(torch.float32).eps * x.abs(), spec)
    assert bool((err <= sb / 2 + fp).all())
    # zero is exactly representable
    zero = torch.zeros_like(x)
    assert torch.equal(dequantize(quantize(zero, s, z, spec), s, z, spec), zero)
    # monotone along a sorted per-tensor sweep
    if gran == "per_tensor":
        xs = torch.sort(x.reshape(-1)).values
        qs = quantize(xs, s, z, spec).to(torch.int16)
        assert bool((qs[1:] >= qs[:-1]).all())


def test_constant_tensor_gets_eps_scale():
    for symmetric in (True, False):
        spec = QuantSpec(symmetric=symmetric)
        s, z = choose_qparams(torch.zeros(5), spec)
        assert float(s) == torch.finfo(torch.float32).eps
        assert math.isfinite(float(s))
        q = quantize(torch.zeros(5), s, z, spec)
        assert torch.equal(dequantize(q, s, z, spec), torch.zeros(5))


def test_per_token_and_per_group_shapes():
    x = torch.randn(2, 3, 8)
    s, z = choose_qparams(x, QuantSpec(granularity="per_token"))
    assert s.shape == (2, 3) and z.shape == (2, 3)
    s, z = choose_qparams(x, QuantSpec(granularity="per_group", group_size=4))
    assert s.shape == (2, 3, 2)
    # per_group equals per_token on a reshaped tensor
    s2, _ = choose_qparams(x.reshape(2, 3, 2, 4), QuantSpec(granularity="per_token"))
    assert torch.equal(s, s2)


def test_qparams_from_min_max_narrow_range():
    spec = QuantSpec(narrow_range=True)
    assert (spec.qmin, spec.qmax) == (-127, 127)
    s, z = qparams_from_min_max(torch.tensor(-2.0), torch.tensor(1.0), spec)
    assert float(s) == pytest.approx(2.0 / 127) and int(z) == 0


BAD_SPECS = [
    (dict(num_bits=1), ValueError, "num_bits"),
    (dict(num_bits=9), ValueError, "num_bits"),
    (dict(num_bits=8.0), TypeError, "num_bits"),
    (dict(granularity="per_channel"), ValueError, "axis"),
    (dict(granularity="per_group"), ValueError, "group_size"),
    (dict(granularity="per_group", group_size=0), ValueError, "group_size"),
    (dict(axis=0), ValueError, "axis"),
    (dict(group_size=4), ValueError, "group_size"),
    (dict(granularity="per_row"), ValueError, "granularity"),
    (dict(signed=1), TypeError, "signed"),
]


@pytest.mark.parametrize("kwargs,exc,word", BAD_SPECS)
def test_bad_specs(kwargs, exc, word):
    with pytest.raises(exc, match=word):
        QuantSpec(**kwargs)


@pytest.mark.parametrize("fn", [choose_qparams,
                                lambda x, spec: quantize(x, 0.1, 0, spec),
                                lambda x, spec: fake_quantize(x, 0.1, 0, spec)])
def test_bad_tensors(fn):
    spec = QuantSpec()
    with pytest.raises(ValueError, match="x contains 1 NaN"):
        fn(torch.tensor([1.0, float("nan")]), spec)
    with pytest.raises(ValueError, match="Inf"):
        fn(torch.tensor([1.0, float("inf")]), spec)
    with pytest.raises(ValueError, match="x is empty"):
        fn(torch.zeros(0), spec)
    with pytest.raises(TypeError, match="floating-point"):
        fn(torch.arange(4), spec)
    with pytest.raises(TypeError, match="torch.Tensor"):
        fn(np.ones(3), spec)
    with pytest.raises(TypeError, match="spec"):
        fn(torch.ones(3), "int8")


def test_bad_axis_group_and_qparams():
    x = torch.randn(4, 6)
    with pytest.raises(ValueError, match="axis=2 is out of range"):
        choose_qparams(x, QuantSpec(granularity="per_channel", axis=2))
    with pytest.raises(ValueError, match="group_size=4 does not divide"):
        choose_qparams(x, QuantSpec(granularity="per_group", group_size=4))
    spec = QuantSpec(granularity="per_channel", axis=0)
    with pytest.raises(ValueError, match="scale must be positive"):
        quantize(x, torch.tensor([0.1, 0.0, 0.1, 0.1]), torch.zeros(4, dtype=torch.int32), spec)
    with pytest.raises(ValueError, match="scale must be positive"):
        quantize(x, -0.1, 0, QuantSpec())
    with pytest.raises(ValueError, match=r"scale has shape \(6,\).*needs shape \(4,\)"):
        quantize(x, torch.ones(6), torch.zeros(4, dtype=torch.int32), spec)
    with pytest.raises(ValueError, match="zero_point has shape"):
        quantize(x, torch.ones(4), torch.zeros(6, dtype=torch.int32), spec)
    with pytest.raises(ValueError, match="scale has shape"):
        quantize(x, torch.ones(4), 0, QuantSpec())
    with pytest.raises(TypeError, match="zero_point must be an integer"):
        quantize(x, 0.1, 0.5, QuantSpec())
    with pytest.raises(ValueError, match="zero_point must lie"):
        quantize(x, 0.1, 300, QuantSpec(signed=False, symmetric=False))
    with pytest.raises(TypeError, match="q must be an integer"):
        dequantize(x, 0.1, 0, QuantSpec())
    with pytest.raises(ValueError, match="outside"):
        dequantize(torch.tensor([100], dtype=torch.int8), 0.1, 0, QuantSpec(num_bits=4))
