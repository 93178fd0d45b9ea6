"""Sub-byte packing round trips and observers (against torch.ao where it has one)."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from qtlib.quant import (
    OBSERVERS,
    QuantSpec,
    choose_qparams,
    fake_quantize,
    make_observer,
    pack_bits,
    pack_int2,
    pack_int4,
    unpack_bits,
    unpack_int2,
    unpack_int4,
)

SETTINGS = settings(max_examples=40, deadline=None)


@SETTINGS
@given(shape=st.lists(st.integers(1, 7), min_size=1, max_size=3), seed=st.integers(0, 10**6),
       signed=st.booleans(), bits=st.sampled_from([2, 4]))
def test_pack_round_trip(shape, seed, signed, bits):
    g = torch.Generator().manual_seed(seed)
    lo, hi = (-(2 ** (bits - 1)), 2 ** (bits - 1)) if signed else (0, 2**bits)
    q = torch.randint(lo, hi, shape, generator=g).to(torch.int8 if signed else torch.uint8)
    pack, unpack = (pack_int4, unpack_int4) if bits == 4 else (pack_int2, unpack_int2)
    p = pack(q)
    assert p.dtype == torch.uint8
    assert p.shape[-1] == -(-shape[-1] // (8 // bits))
    assert torch.equal(unpack(p, signed=signed, length=shape[-1]), q)


def test_pack_int4_layout_and_errors():
    q = torch.tensor([1, -1, 7, -8], dtype=torch.int8)
    assert pack_int4(q).tolist() == [0xF1, 0x87]
    with pytest.raises(ValueError, match="do not fit in 4 bits"):
        pack_int4(torch.tensor([8], dtype=torch.int8))
    with pytest.raises(ValueError, match="do not fit in 2 bits"):
        pack_int2(torch.tensor([4], dtype=torch.uint8))
    with pytest.raises(TypeError, match="int8"):
        pack_int4(torch.tensor([1.0]))
    with pytest.raises(ValueError, match="length"):
        unpack_int4(pack_int4(q), length=7)


@SETTINGS
@given(n=st.integers(0, 50), bits=st.integers(1, 8), seed=st.integers(0, 10**6))
def test_pack_bits_round_trip(n, bits, seed):
    v = torch.randint(0, 2**bits, (n,), generator=torch.Generator().manual_seed(seed))
    p = pack_bits(v, bits)
    assert p.numel() == -(-n * bits // 8)
    assert torch.equal(unpack_bits(p, bits, n), v)


def test_minmax_observers_match_torch_ao():
    from torch.ao.quantization import observer as ao

    g = torch.Generator().manual_seed(0)
    batches = [torch.randn(8, 16, generator=g) * (i + 1) for i in range(5)]
    cases = [
        ("minmax", QuantSpec(signed=False, symmetric=False),
         ao.MinMaxObserver(dtype=torch.quint8)),
        ("moving_average", QuantSpec(signed=False, symmetric=False),
         ao.MovingAverageMinMaxObserver(dtype=torch.quint8)),
        ("minmax", QuantSpec(granularity="per_channel", axis=1),
         ao.PerChannelMinMaxObserver(ch_axis=1, dtype=torch.qint8,
                                     qscheme=torch.per_channel_symmetric)),
    ]
    for name, spec, ref in cases:
        ours = make_observer(name, spec).observe(batches)
        for b in batches:
            ref(b)
        rs, rz = ref.calculate_qparams()
        s, z = ours.calculate_qparams()
        assert torch.equal(s.reshape(-1), rs.reshape(-1)), name
        assert torch.equal(z.reshape(-1).long(), rz.reshape(-1).long()), name


def _outlier_batches():
    g = torch.Generator().manual_seed(1)
    batches = [torch.randn(64, 32, generator=g) for _ in range(4)]
    batches[2][0, 0] = 60.0  # one outlier
    return batches


def test_percentile_observer_ignores_a_lone_outlier():
    name = "percentile"
    batches = _outlier_batches()
    spec = QuantSpec()
    # 1 outlier in 8192 values: above the 99.9th percentile
    obs = make_observer(name, spec, percentile=99.9).observe(batches)
    lo, hi = obs.range()
    assert -6 < float(lo) <= 0 < float(hi) < 20  # the min-max range would reach 60
    # and the bulk of the data is reproduced better than with min-max qparams
    x = torch.cat([b.reshape(-1) for b in batches])
    bulk = x[x.abs() < 4]
    s, z = obs.calculate_qparams()
    s0, z0 = make_observer("minmax", spec).observe(batches).calculate_qparams()
    err = ((fake_quantize(bulk, s, z, spec) - bulk) ** 2).mean()
    err0 = ((fake_quantize(bulk, s0, z0, spec) - bulk) ** 2).mean()
    assert err < err0 / 4


@pytest.mark.parametrize("name", ["mse", "histogram"])
@pytest.mark.parametrize("symmetric", [True, False])
def test_error_minimising_observers_beat_minmax_on_heavy_tails(name, symmetric):
    dist = torch.distributions.Laplace(torch.tensor(0.0), torch.tensor(1.0))
    torch.manual_seed(4)
    batches = [dist.sample((4096,)) for _ in range(3)]
    x = torch.cat(batches)
    spec = QuantSpec(num_bits=4, symmetric=symmetric)
    s, z = make_observer(name, spec).observe(batches).calculate_qparams()
    s0, z0 = make_observer("minmax", spec).observe(batches).calculate_qparams()
    assert float(s) < float(s0)  # it clipped
    err = ((fake_quantize(x, s, z, spec) - x) ** 2).mean()
    err0 = ((fake_quantize(x, s0, z0, spec) - x) ** 2).mean()
    assert err < 0.8 * err0


def test_percentile_observer_matches_true_quantiles():
    g = torch.Generator().manual_seed(2)
    batches = [torch.randn(1000, generator=g) for _ in range(5)]
    obs = make_observer("percentile", QuantSpec(symmetric=False), percentile=99.0)
    lo, hi = obs.observe(batches).range()
    x = torch.cat(batches)
    assert float(hi) == pytest.approx(float(torch.quantile(x, 0.99)), abs=0.02)
    assert float(lo) == pytest.approx(float(torch.quantile(x, 0.01)), abs=0.02)


def test_histogram_observer_grows_its_range():
    obs = make_observer("histogram", QuantSpec(symmetric=False))
    obs.update(torch.linspace(0, 1, 1000))
    obs.update(torch.linspace(-3, 0, 3000))
    assert obs.histogram.sum() == 4000
    lo, hi = obs.range()
    assert float(lo) < -2.5 and float(hi) > 0.8


def test_observer_on_constant_batches_and_errors():
    for name in OBSERVERS:
        obs = make_observer(name, QuantSpec())
        with pytest.raises(ValueError, match="no batches"):
            obs.calculate_qparams()
        obs.update(torch.full((10,), 2.0))
        s, z = obs.calculate_qparams()
        assert float(s) > 0
        with pytest.raises(ValueError, match="NaN"):
            obs.update(torch.tensor([float("nan")]))
    with pytest.raises(ValueError, match="per_tensor"):
        make_observer("mse", QuantSpec(granularity="per_channel", axis=0))
    with pytest.raises(ValueError, match="observer must be one of"):
        make_observer("entropy", QuantSpec())


def test_minmax_observer_equals_choose_qparams_on_concatenation():
    g = torch.Generator().manual_seed(3)
    batches = [torch.randn(4, 8, generator=g) for _ in range(3)]
    spec = QuantSpec(symmetric=False, granularity="per_channel", axis=1)
    s, z = make_observer("minmax", spec).observe(batches).calculate_qparams()
    s2, z2 = choose_qparams(torch.cat(batches), spec)
    assert torch.equal(s, s2) and torch.equal(z, z2)
