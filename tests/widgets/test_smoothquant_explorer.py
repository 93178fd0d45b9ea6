"""ch03's SmoothQuant explorer: the callback is a plain function over the recorded maxima."""

import time

import pytest
import torch

from qtlib.experiments.ch03_design import recorded
from qtlib.methods.smoothquant import smoothing_scales
from qtlib.widgets.smoothquant import explore, smoothquant_widget


@pytest.fixture(scope="module")
def result():
    return recorded()["result"]


def test_alpha_moves_the_range_from_the_activation_to_the_weight(result):
    layer = "bert.encoder.layer.0.output.dense"
    views = [explore(result, layer, a, figure=False) for a in (0.0, 0.5, 1.0)]
    assert views[2].act_ratio_after == pytest.approx(1.0)           # alpha 1: flat activation
    assert views[0].weight_ratio_after == pytest.approx(1.0)        # alpha 0: flat weight
    assert views[0].act_ratio_after > views[1].act_ratio_after > views[2].act_ratio_after
    assert views[0].weight_ratio_after < views[1].weight_ratio_after < views[2].weight_ratio_after
    # alpha 0.5 balances the two maxima channel by channel, so their ratios are equal
    assert views[1].act_ratio_after == pytest.approx(views[1].weight_ratio_after, rel=1e-6)
    assert views[2].median_levels_after == pytest.approx(127.0)
    assert all(v.act_ratio_before == views[0].act_ratio_before for v in views)


def test_the_view_uses_the_library_scales_and_the_recorded_fidelity(result):
    layer = "bert.encoder.layer.3.attention.self.query"
    view = explore(result, layer, 0.7)
    a = torch.tensor(result["act_absmax"][layer], dtype=torch.float64)
    w = torch.tensor(result["weight_absmax"][layer], dtype=torch.float64)
    s = smoothing_scales(a, w, 0.7).double()
    assert view.act_ratio_after == pytest.approx(float((a / s).max() / (a / s).median()))
    assert view.fidelity[0] == 0.75                                  # nearest recorded alpha
    assert "alpha=0.70" in view.text and "cosine mean" in view.text
    assert view.figure is not None and len(view.figure.axes) == 2
    assert "After dividing" in view.description
    with pytest.raises(ValueError, match="layer"):
        explore(result, "no.such.layer", 0.5)


def test_callback_answers_within_300_ms(result):
    """Best of 5 wall or CPU time with one thread (the machine may be loaded)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        layer = "bert.encoder.layer.2.output.dense"
        explore(result, layer, 0.5)
        wall, cpu = float("inf"), float("inf")
        for _ in range(5):
            start, start_cpu = time.perf_counter(), time.process_time()
            explore(result, layer, 0.6)
            wall = min(wall, time.perf_counter() - start)
            cpu = min(cpu, time.process_time() - start_cpu)
    finally:
        torch.set_num_threads(threads)
    assert min(wall, cpu) < 0.3, f"{wall * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU"


def test_widget_follows_its_controls(result):
    box = smoothquant_widget(result, layer="bert.encoder.layer.0.output.dense", alpha=0.5)
    first = box.last_view
    slider = box.children[0].children[1]
    slider.value = 0.9
    assert box.last_view.alpha == pytest.approx(0.9)
    assert box.last_view.act_ratio_after < first.act_ratio_after
    png = box.children[2].value
    box.children[0].children[0].value = "bert.encoder.layer.1.intermediate.dense"
    assert box.last_view.layer == "bert.encoder.layer.1.intermediate.dense"
    assert box.children[2].value != png                               # the plot is redrawn
    assert "layer.1.intermediate.dense" in box.last_view.description
