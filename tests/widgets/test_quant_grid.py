"""ch02's explorer callback, called directly (no browser): qtlib.widgets.quant_grid."""

import time

import pytest
import torch

from qtlib.quant import QuantSpec, choose_qparams, fake_quantize
from qtlib.quant.error import sqnr_db
from qtlib.widgets.quant_grid import (
    DISTRIBUTIONS,
    GRANULARITIES,
    GROUP_SIZE,
    block_range,
    explore,
    make_samples,
    quant_grid_widget,
)


@pytest.fixture(scope="module")
def samples():
    real = torch.nn.functional.gelu(torch.randn(200, 1536, generator=torch.Generator()
                                                .manual_seed(1)) * 2)
    return make_samples(real)


def test_samples_are_deterministic_and_shaped(samples):
    again = make_samples(samples["minilm"])
    assert list(samples) == list(DISTRIBUTIONS)
    for name in ("gaussian", "laplace", "outliers"):
        assert samples[name].shape == (64, 512)
        assert torch.equal(samples[name], again[name])
    assert samples["minilm"].shape == (48, 1536)
    assert "minilm" not in make_samples()
    # the outlier matrix has 4 feature columns 30x larger than the rest
    col_max = samples["outliers"].abs().amax(0)
    assert int((col_max > 10 * col_max.median()).sum()) == 4
    # Laplace: same variance as the Gaussian, heavier tails
    lap, gau = samples["laplace"], samples["gaussian"]
    assert abs(lap.var().item() - 1.0) < 0.05
    kurt = lambda x: ((x - x.mean()) ** 4).mean() / x.var() ** 2  # noqa: E731
    assert kurt(lap) > kurt(gau) + 2


def test_per_tensor_min_max_matches_qtlib_quant(samples):
    x = samples["laplace"]
    spec = QuantSpec(4, symmetric=False)
    expected = sqnr_db(x, fake_quantize(x, *choose_qparams(x, spec), spec))
    view = explore(samples, "laplace", 4, "per_tensor", 100.0, figure=False)
    assert view.sqnr_db == pytest.approx(expected, abs=1e-9)
    assert view.scale_count == 1 and view.clipped == 0.0
    assert "SQNR" in view.text and view.figure is None


@pytest.mark.parametrize("granularity, count", [("per_tensor", 1), ("per_token", 64),
                                                ("per_channel", 512),
                                                ("per_group", 64 * 512 // GROUP_SIZE)])
def test_scale_count_follows_the_granularity(samples, granularity, count):
    assert explore(samples, "gaussian", 8, granularity, figure=False).scale_count == count


def test_the_lessons_the_explorer_shows(samples):
    def sqnr(*args, **kw):
        return explore(samples, *args, figure=False, **kw).sqnr_db

    # more bits, more SQNR, about 6 dB per bit
    per_bit = [sqnr("gaussian", b, "per_tensor") for b in range(4, 9)]
    slopes = [b - a for a, b in zip(per_bit, per_bit[1:], strict=False)]
    assert all(5.0 < s < 7.0 for s in slopes)
    # per-feature scales rescue outlier features; per-token barely helps
    assert sqnr("outliers", 4, "per_channel") > sqnr("outliers", 4, "per_tensor") + 8
    assert sqnr("outliers", 4, "per_token") < sqnr("outliers", 4, "per_tensor") + 3
    # clipping helps heavy tails at low bit widths, and then clips some values
    clipped = explore(samples, "laplace", 3, "per_tensor", 99.9, figure=False)
    assert clipped.sqnr_db > sqnr("laplace", 3, "per_tensor")
    assert 0 < clipped.clipped < 0.01
    # a symmetric grid wastes half its levels on the one-sided MiniLM activation
    assert sqnr("minilm", 8, "per_tensor", symmetric=True) < sqnr("minilm", 8, "per_tensor") - 3


def test_block_range_is_min_max_or_percentile(samples):
    x = samples["gaussian"]
    spec = QuantSpec(8, symmetric=False, granularity="per_token")
    lo, hi = block_range(x, spec, 100.0)
    assert torch.equal(lo, x.amin(1)) and torch.equal(hi, x.amax(1))
    lo99, hi99 = block_range(x, spec, 99.0)
    assert bool((lo99 > lo).all()) and bool((hi99 < hi).all())
    group = QuantSpec(8, symmetric=False, granularity="per_group", group_size=GROUP_SIZE)
    assert block_range(x, group, 100.0)[0].shape == (64, 512 // GROUP_SIZE)


def test_figure_and_its_text_alternative(samples):
    view = explore(samples, "minilm", 4, "per_group", 99.9)
    axes = view.figure.axes
    assert len(axes) == 2
    assert "levels" in axes[0].get_xlabel() and "error" in axes[1].get_xlabel()
    assert "SQNR" in axes[1].get_title()
    assert "quantization levels" in view.description and "SQNR" in view.description
    assert "widest block" in axes[0].get_title()


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
@pytest.mark.parametrize("granularity", GRANULARITIES)
def test_callback_answers_within_300_ms(samples, distribution, granularity):
    """Wall time, best of 5 with one thread; on a machine so busy that even that fails, the
    CPU time of the call (what it costs, not how long it waited) must still fit."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        explore(samples, distribution, 4, granularity, 99.9)  # warm-up (first matplotlib use)
        wall, cpu = float("inf"), float("inf")
        for _ in range(5):
            start, start_cpu = time.perf_counter(), time.process_time()
            explore(samples, distribution, 4, granularity, 99.9)
            wall = min(wall, time.perf_counter() - start)
            cpu = min(cpu, time.process_time() - start_cpu)
    finally:
        torch.set_num_threads(threads)
    assert min(wall, cpu) < 0.3, f"{distribution} {granularity}: {wall * 1000:.0f} ms wall, " \
                                 f"{cpu * 1000:.0f} ms CPU"


@pytest.mark.parametrize("kwargs, fragment", [
    ({"distribution": "cauchy"}, "distribution"),
    ({"num_bits": 1}, "num_bits"),
    ({"num_bits": 8.0}, "num_bits"),
    ({"granularity": "per_row"}, "granularity"),
    ({"percentile": 40.0}, "percentile"),
])
def test_bad_input_names_the_argument(samples, kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        explore(samples, **{"distribution": "gaussian", **kwargs}, figure=False)


def test_make_samples_rejects_bad_shapes():
    with pytest.raises(ValueError, match="cols"):
        make_samples(cols=100)
    with pytest.raises(ValueError, match="real"):
        make_samples(torch.randn(10))


def test_widget_recomputes_when_a_control_changes(samples):
    box = quant_grid_widget(samples, distribution="laplace", num_bits=4)
    controls, headline, image = box.children
    left, right = controls.children
    w_dist, w_gran, w_sym = left.children
    w_bits, w_pct = right.children
    first = box.last_view
    assert "Laplace" in headline.value and len(image.value) > 1000
    w_bits.value = 8
    assert box.last_view.sqnr_db > first.sqnr_db + 20
    png = image.value
    w_gran.value = "per_token"
    assert box.last_view.scale_count == 64 and image.value != png
    w_dist.value = "minilm"
    assert "MiniLM" in headline.value
    w_pct.value = 99.5
    assert box.last_view.clipped > 0
    with pytest.raises(ValueError, match="distribution"):
        quant_grid_widget(samples, distribution="nope")
