"""Result records, JSON round trip, comparison table, Pareto front."""

import math

import pytest

from qtlib.eval import Result, compare, load_results, pareto_front, pareto_mask, save_results

RESULTS = [
    Result("float", {}, {"size_bytes": 100, "accuracy": 0.90}),
    Result("int8", {"num_bits": 8}, {"size_bytes": 50, "accuracy": 0.85}),
    Result("int4", {"num_bits": 4}, {"size_bytes": 60, "accuracy": 0.80}),  # worse than int8
    Result("float+", {}, {"size_bytes": 100, "accuracy": 0.95}),            # beats float
]


def test_json_round_trip(tmp_path):
    results = RESULTS + [Result("x", {"a": [1, 2]}, {"sqnr_db": math.inf}, {"threads": 2}, "t")]
    path = save_results(results, tmp_path / "sub" / "r.json")
    back = load_results(path)
    assert back == results
    with pytest.raises(ValueError, match="not a Result"):
        Result.from_dict({"metrics": {}})


def test_compare_table():
    table = compare(RESULTS, baseline=0)
    assert list(table["label"]) == ["float", "int8 (num_bits=8)", "int4 (num_bits=4)", "float+"]
    assert table.loc[1, "size_bytes / baseline"] == pytest.approx(0.5)
    only = compare(RESULTS, metrics=["accuracy"])
    assert "size_bytes" not in only.columns
    with pytest.raises(ValueError, match="no result has metrics"):
        compare(RESULTS, metrics=["latency"])
    with pytest.raises(ValueError, match="empty"):
        compare([])


def test_pareto_front_hand_computed():
    front = pareto_front(RESULTS, {"size_bytes": "min", "accuracy": "max"})
    assert [r.method for r in front] == ["int8", "float+"]
    assert pareto_mask([[1, 1], [1, 1], [2, 0]], ["min", "min"]) == [True, True, True]
    assert pareto_mask([[1, math.nan], [2, 2]], ["min", "min"]) == [False, True]


def test_pareto_bad_input():
    with pytest.raises(ValueError, match="has no metric"):
        pareto_front(RESULTS, {"median_ms": "min"})
    with pytest.raises(ValueError, match="'min' or 'max'"):
        pareto_front(RESULTS, {"size_bytes": "smallest"})
    with pytest.raises(ValueError, match="objectives is empty"):
        pareto_front(RESULTS, {})
