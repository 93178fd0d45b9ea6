"""alternated_latency on a fake clock: warm-up excluded, alternation, medians, ratio."""

import pytest

from qtlib.eval.sweep import alternated_latency


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def workload(clock, first, steady, log, name):
    def fn():
        clock.now += first if not any(n == name for n in log) else steady
        log.append(name)
    return fn


def test_medians_ignore_warmup_and_calls_alternate():
    clock, log = FakeClock(), []
    base = workload(clock, 1.0, 0.020, log, "b")
    cand = workload(clock, 2.0, 0.010, log, "c")
    out = alternated_latency(base, cand, budget_s=0.5, warmup=2, clock=clock)
    assert out["baseline_ms"] == pytest.approx(20.0)
    assert out["candidate_ms"] == pytest.approx(10.0)
    assert out["candidate_p90_ms"] == pytest.approx(10.0)
    timed = log[4:]
    assert timed[0::2] == ["b"] * (len(timed) // 2) and timed[1::2] == ["c"] * (len(timed) // 2)
    # 0.5 s budget at 30 ms per round: about 17 rounds
    assert 15 <= out["n"] <= 19


def test_a_drifting_machine_load_hits_both_variants_equally():
    clock, calls = FakeClock(), {"n": 0}

    def make(cost):
        def fn():
            calls["n"] += 1
            clock.now += cost * (1 + calls["n"] / 10)   # the machine gets slower and slower
        return fn

    out = alternated_latency(make(0.02), make(0.01), budget_s=2.0, warmup=0, clock=clock)
    # the absolute medians drift far above 20 and 10 ms, their ratio stays about 2
    assert out["baseline_ms"] > 40 and out["candidate_ms"] > 20
    assert out["baseline_ms"] / out["candidate_ms"] == pytest.approx(2.0, rel=0.05)


def test_bad_arguments():
    with pytest.raises(ValueError, match="budget_s"):
        alternated_latency(lambda: None, lambda: None, budget_s=0)
    with pytest.raises(ValueError, match="min_repeats"):
        alternated_latency(lambda: None, lambda: None, min_repeats=0)
