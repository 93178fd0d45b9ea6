"""Wilson intervals and the exact McNemar test of qtlib.eval.uncertainty."""

import math

import pytest
import torch

from qtlib.eval import accuracy_interval, fidelity, paired_test


def test_wilson_interval_matches_the_textbook_value():
    # 351 of 360: p = 0.975; Wilson 95% by the closed form
    low, high = accuracy_interval(351, 360)
    z, n, p = 1.959963984540054, 360, 351 / 360
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert low == pytest.approx(centre - half) and high == pytest.approx(centre + half)
    assert low < p < high


def test_interval_stays_in_range_and_narrows_with_more_data():
    low, high = accuracy_interval(0, 10)
    assert low == pytest.approx(0, abs=1e-12) and high > 0
    assert accuracy_interval(10, 10)[1] == pytest.approx(1) and accuracy_interval(10, 10)[0] < 1
    small = accuracy_interval(90, 100)
    large = accuracy_interval(9000, 10000)
    assert large[1] - large[0] < (small[1] - small[0]) / 5
    assert accuracy_interval(90, 100, confidence=0.99)[0] < small[0]


def test_interval_coverage_by_simulation():
    torch.manual_seed(0)
    n, p = 200, 0.9
    hits = torch.bernoulli(torch.full((2000, n), p)).sum(1).long().tolist()
    covered = sum(lo <= p <= hi for lo, hi in (accuracy_interval(k, n) for k in hits))
    assert 0.93 <= covered / 2000 <= 0.97


@pytest.mark.parametrize("args", [(5, 0), (-1, 10), (11, 10), (2.5, 10)])
def test_interval_rejects_impossible_counts(args):
    with pytest.raises(ValueError):
        accuracy_interval(*args)


def test_paired_test_counts_only_disagreements():
    a = torch.tensor([True] * 351 + [False] * 9)
    b = a.clone()
    b[0] = False                                  # b misses one image a gets
    result = paired_test(a, b)
    assert (result["only_a"], result["only_b"]) == (1.0, 0.0)
    assert result["difference"] == pytest.approx(1 / 360)
    assert result["p_value"] == 1.0              # one disagreement proves nothing
    assert paired_test(a, a)["p_value"] == 1.0


def test_paired_test_exact_binomial_tail():
    a = torch.tensor([True] * 10 + [False] * 10)
    b = torch.tensor([False] * 10 + [True] * 0 + [False] * 10)
    # 10 disagreements, all favour a: p = 2 * 0.5**10
    assert paired_test(a, b)["p_value"] == pytest.approx(2 / 1024)
    with pytest.raises(ValueError):
        paired_test(a, b[:5])


def test_fidelity_of_logits_gives_agreement_and_kl():
    torch.manual_seed(0)
    ref = torch.randn(50, 10)
    same = fidelity(ref, ref.clone(), logits=True)
    assert same["top1_agreement"] == 1.0 and same["kl_divergence"] == pytest.approx(0, abs=1e-12)
    noisy = fidelity(ref, ref + 0.5 * torch.randn(50, 10), logits=True)
    assert 0 < noisy["top1_agreement"] < 1 and noisy["kl_divergence"] > 0
