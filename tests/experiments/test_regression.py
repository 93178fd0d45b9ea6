"""qtlib.experiments.regression: figures that moved beyond tolerance are flagged, others pass."""

import math

import pandas as pd
import pytest

from qtlib.experiments.regression import (
    Tolerance,
    check_regression,
    load_baseline,
    save_baseline,
    summary,
)

BASE = pd.DataFrame({"label": ["float32", "dynamic_int8 per-token"],
                     "vit_accuracy": [0.97, 0.965], "minilm_speedup": [1.0, 2.0]})
TOL = {"vit_accuracy": Tolerance(abs=0.006), "minilm_speedup": Tolerance(rel=0.3)}


def test_identical_tables_pass():
    report = check_regression(BASE, BASE.copy(), tolerances=TOL)
    assert len(report) == 4 and (report["status"] == "ok").all()
    assert "none moved" in summary(report)


def test_moves_beyond_tolerance_are_flagged_in_both_directions():
    current = BASE.copy()
    current.loc[1, "vit_accuracy"] = 0.95        # -1.5 points: beyond 0.6
    current.loc[0, "vit_accuracy"] = 0.974       # +0.4 points: within
    current.loc[1, "minilm_speedup"] = 2.7       # +35 %: beyond 30 %, an improvement still flags
    report = check_regression(BASE, current, tolerances=TOL).set_index(["label", "figure"])
    assert report.loc[("dynamic_int8 per-token", "vit_accuracy"), "status"] == "moved"
    assert report.loc[("float32", "vit_accuracy"), "status"] == "ok"
    assert report.loc[("dynamic_int8 per-token", "minilm_speedup"), "status"] == "moved"
    assert math.isclose(report.loc[("dynamic_int8 per-token", "minilm_speedup"), "allowed"], 0.6)
    text = summary(report.reset_index())
    assert "2 moved" in text and "0.965 -> 0.95" in text


def test_tolerance_edges_are_inclusive():
    assert Tolerance(abs=0.01).allows(0.5, 0.51)
    assert not Tolerance(abs=0.01).allows(0.5, 0.5101)
    assert Tolerance(rel=0.1).allows(2.0, 2.2)
    with pytest.raises(ValueError, match="abs"):
        Tolerance(abs=-1)


def test_missing_and_new_recipes_are_reported():
    current = pd.DataFrame({"label": ["float32", "weight_sharing k16"],
                            "vit_accuracy": [0.97, 0.96], "minilm_speedup": [1.0, 0.9]})
    report = check_regression(BASE, current, tolerances=TOL)
    status = {(r.label, r.figure): r.status for r in report.itertuples()}
    assert status[("dynamic_int8 per-token", "vit_accuracy")] == "missing"
    assert status[("weight_sharing k16", "minilm_speedup")] == "new"
    assert "only in one" in summary(report)


def test_bad_input_names_the_argument():
    with pytest.raises(TypeError, match="current"):
        check_regression(BASE, BASE.to_dict(), tolerances=TOL)
    with pytest.raises(ValueError, match="duplicate"):
        check_regression(pd.concat([BASE, BASE]), BASE, tolerances=TOL)
    with pytest.raises(ValueError, match="label"):
        check_regression(BASE.drop(columns="label"), BASE, tolerances=TOL)
    with pytest.raises(TypeError, match="Tolerance"):
        check_regression(BASE, BASE, tolerances={"vit_accuracy": 0.01})


def test_baseline_round_trip(tmp_path):
    path = save_baseline(BASE, tmp_path / "b.json", figures=["vit_accuracy", "minilm_speedup"],
                         note="test")
    again = load_baseline(path)
    pd.testing.assert_frame_equal(again, BASE)
    with pytest.raises(ValueError, match="columns"):
        save_baseline(BASE, tmp_path / "c.json", figures=["minilm_cos_mean"])
