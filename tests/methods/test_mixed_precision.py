"""Mixed precision from a sensitivity ranking (qtlib.methods.mixed_precision)."""

import random

import pytest

from qtlib.methods.mixed_precision import choose_float_layers, mixed_size, rank_layers


def test_ranking_is_by_drop_then_name():
    assert rank_layers({"b": 0.1, "a": 0.1, "c": 0.5, "d": 0.0}) == ["c", "a", "b", "d"]


def test_choice_skips_a_layer_that_does_not_fit_and_goes_on():
    drops = {"big": 0.9, "small": 0.5, "tiny": 0.1}
    sizes = {"big": 400, "small": 40, "tiny": 8}
    base = mixed_size(sizes, [])                       # 100 + 10 + 2
    assert base == 112
    ranking, keep = choose_float_layers(drops, sizes, base + 30 + 6)
    assert ranking == ["big", "small", "tiny"] and keep == ["small", "tiny"]
    assert choose_float_layers(drops, sizes, base + 300)[1] == ["big"]
    assert choose_float_layers(drops, sizes, base + 300 + 30 + 6)[1] == ["big", "small", "tiny"]
    with pytest.raises(ValueError, match="over the budget"):
        choose_float_layers(drops, sizes, base - 1)


def test_choice_is_the_greedy_walk_on_random_layers():
    rng = random.Random(0)
    for _ in range(50):
        names = [f"l{i}" for i in range(8)]
        drops = {n: rng.random() for n in names}
        sizes = {n: 4 * rng.randint(1, 100) for n in names}
        budget = mixed_size(sizes, []) + rng.randint(0, 600)
        ranking, keep = choose_float_layers(drops, sizes, budget)
        assert mixed_size(sizes, keep) <= budget
        assert keep == [n for n in ranking if n in keep]
        # every skipped layer did not fit at the moment it was considered
        chosen = []
        for n in ranking:
            if n in keep:
                chosen.append(n)
            else:
                assert mixed_size(sizes, chosen + [n]) > budget
