"""Latency statistics on a fake clock: no real time is asserted."""

import pytest
import torch
from torch import nn

from qtlib.eval import compare_latency, latency_stats, measure_latency
from qtlib.eval.doubles import FakeClock


def sleeper(clock, durations_ms, log=None, name=""):
    it = iter(durations_ms)

    def call():
        if log is not None:
            log.append(name)
        clock.now += next(it) / 1e3

    return call


def test_stats_hand_computed():
    s = latency_stats([5, 1, 4, 2, 3])
    assert s["median_ms"] == 3 and s["mean_ms"] == 3
    assert s["p10_ms"] == pytest.approx(1.4) and s["p90_ms"] == pytest.approx(4.6)
    assert s["p99_ms"] == pytest.approx(4.96) and s["iqr_ms"] == pytest.approx(2.0)
    with pytest.raises(ValueError):
        latency_stats([])


def test_warmup_is_not_timed_and_samples_are_exact():
    clock = FakeClock(100.0)
    # 3 warm-up calls of 50 ms (must not appear), then 1..5 ms
    call = sleeper(clock, [50, 50, 50, 5, 1, 4, 2, 3])
    rec = measure_latency(call, warmup=3, min_repeats=5, max_repeats=5, clock=clock)
    assert rec.samples_ms == pytest.approx((5, 1, 4, 2, 3))
    assert rec.n == 5 and rec.warmup == 3 and clock.reads == 10
    assert rec.median_ms == pytest.approx(3) and rec.p90_ms == pytest.approx(4.6)
    assert rec.threads == torch.get_num_threads()


def test_stops_at_the_budget_but_not_before_min_repeats():
    clock = FakeClock(100.0)
    rec = measure_latency(sleeper(clock, [10] * 1000), warmup=1, min_repeats=5, budget_s=0.1,
                          clock=clock)
    assert rec.n == 10  # 10 x 10 ms reaches the 0.1 s budget
    clock = FakeClock(100.0)
    rec = measure_latency(sleeper(clock, [100] * 1000), warmup=1, min_repeats=7, budget_s=0.1,
                          clock=clock)
    assert rec.n == 7  # budget reached after 1 call, but at least min_repeats
    clock = FakeClock(100.0)
    rec = measure_latency(sleeper(clock, [1] * 1000), warmup=1, min_repeats=5, max_repeats=20,
                          budget_s=10, clock=clock)
    assert rec.n == 20


def test_sets_records_and_restores_threads():
    before = torch.get_num_threads()
    seen = []
    rec = measure_latency(lambda: seen.append(torch.get_num_threads()), threads=1, warmup=1,
                          min_repeats=5, max_repeats=5)
    assert set(seen) == {1} and rec.threads == 1
    assert torch.get_num_threads() == before


def test_model_inputs_shapes_and_inference_mode():
    model = nn.Linear(4, 2).eval()
    grads = []
    model.register_forward_hook(lambda m, i, o: grads.append(o.requires_grad))
    rec = measure_latency(model, torch.zeros(3, 4), warmup=1, min_repeats=5, max_repeats=5)
    assert rec.shapes == [3, 4] and not any(grads)
    rec = measure_latency(lambda a, b: a + b, (torch.zeros(2), torch.ones(2)), warmup=1,
                          min_repeats=5, max_repeats=5)
    assert rec.shapes == [[2], [2]]


def test_refuses_classic_mistakes():
    with pytest.raises(ValueError, match="warmup"):
        measure_latency(lambda: None, warmup=0)
    with pytest.raises(ValueError, match="min_repeats"):
        measure_latency(lambda: None, min_repeats=1)
    with pytest.raises(ValueError, match="eval()"):
        measure_latency(nn.Dropout().train(), torch.zeros(2))
    with pytest.raises(ValueError, match="threads"):
        measure_latency(lambda: None, threads=0)
    with pytest.raises(TypeError, match="inputs must be"):
        measure_latency(nn.Identity().eval(), inputs=3)


def test_compare_alternates_and_reports_ratios():
    clock = FakeClock(100.0)
    log = []
    slow = sleeper(clock, [2] * 100, log, "slow")
    fast = sleeper(clock, [1] * 100, log, "fast")
    cmp = compare_latency({"slow": slow, "fast": fast}, warmup=1, min_rounds=5, max_rounds=6,
                          budget_s=0.0, clock=clock)
    assert log[:2] == ["slow", "fast"]                 # warm-up, one each
    assert log[2:6] == ["slow", "fast", "fast", "slow"]  # rounds rotate who goes first
    assert cmp.rounds == 5 and cmp.records["fast"].n == 5
    assert cmp.ratios == pytest.approx({"slow": 1.0, "fast": 0.5})
    assert cmp.speedups["fast"] == pytest.approx(2.0)
    frame = cmp.to_frame()
    assert frame.loc["fast", "speedup"] == pytest.approx(2.0)
    assert list(frame.index) == ["slow", "fast"]


def test_compare_bad_input():
    with pytest.raises(ValueError, match="variants is empty"):
        compare_latency({})
    with pytest.raises(ValueError, match="baseline"):
        compare_latency({"a": lambda: None}, baseline="b")
    with pytest.raises(ValueError, match="no inputs for"):
        compare_latency({"a": nn.Identity().eval()}, inputs_by_variant={})
