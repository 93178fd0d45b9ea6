"""The cached sweep over registered recipes, with a fake measurement (no course models, no timing).

Includes the architecture's promise: a recipe added by registration alone is applied, swept,
cached, tabled and plotted, with no other file edited.
"""

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

import matplotlib
import pandas as pd
import pytest
import torch
from torch import nn

from qtlib.eval import results_table
from qtlib.experiments import ch05_tradeoffs, sweep
from qtlib.experiments.ch05_tradeoffs import KEEP_FLOAT, SweepConfig, check_point, default_points
from qtlib.experiments.sweep import SweepPoint, run_cached
from qtlib.methods import (
    DynamicInt8,
    Float32,
    Recipe,
    StaticInt8,
    WeightSharing,
    apply,
    quantize_weight_only,
    register,
    registered,
    unregister,
)
from qtlib.plots import tradeoff_scatter

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _tmp_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("QTLIB_CACHE_DIR", str(tmp_path))


class CountingMeasure:
    def __init__(self):
        self.calls = []

    def __call__(self, point):
        self.calls.append(point)
        return {"minilm_size_bytes": 100 + len(self.calls), "minilm_cos_mean": 0.99}


def test_default_points_cover_every_registered_recipe_and_group():
    points = default_points()
    assert len({p.label for p in points}) == len(points)
    assert points[0] == SweepPoint(Float32())
    assert {p.recipe.name for p in points} == set(registered())
    methods = [p.recipe.method for p in points]
    assert methods.count("weight_only_int4") == 2 * len(KEEP_FLOAT)
    for point in points:
        check_point(point)
        if type(point.recipe).sweep_keep_float:
            assert {q.keep_float for q in points if q.recipe == point.recipe} == set(KEEP_FLOAT)
    assert {p.keep_float for p in points if p.recipe.name == "weight_sharing"} == {"none"}


@pytest.mark.parametrize("point, word", [
    (SweepPoint(DynamicInt8(), "embeddings"), "keep_float"),
    (SweepPoint(Float32(), "ffn_output"), "keep_float"),
])
def test_bad_points_name_the_argument(point, word):
    with pytest.raises(ValueError, match=word):
        check_point(point)


def test_second_run_reads_the_cache_and_keeps_order():
    points = [SweepPoint(Float32()), SweepPoint(WeightSharing(num_clusters=16)),
              SweepPoint(DynamicInt8())]
    measure = CountingMeasure()
    first = run_cached(points, measure, config=SweepConfig(), namespace="t", progress=False)
    assert len(measure.calls) == 3
    assert [r.label for r in first] == [p.label for p in points]
    assert not any(r.env["cached"] for r in first)
    second = run_cached(points, measure, config=SweepConfig(), namespace="t", progress=False)
    assert len(measure.calls) == 3, "a warm cache must not measure again"
    assert all(r.env["cached"] for r in second)
    assert [r.metrics for r in first] == [r.metrics for r in second]
    assert second[1].settings["recipe"] == WeightSharing(num_clusters=16).to_dict()


def test_a_recorded_point_is_read_when_the_cache_misses(tmp_path, monkeypatch):
    from qtlib.utils import cache
    from qtlib.utils.cache import record_cache

    points = [SweepPoint(Float32()), SweepPoint(DynamicInt8())]
    maker = tmp_path / "maker"
    monkeypatch.setenv("QTLIB_CACHE_DIR", str(maker))
    made = run_cached(points[:1], CountingMeasure(), config=SweepConfig(), namespace="r",
                      progress=False)
    monkeypatch.setattr(cache, "RECORDED_DIR", tmp_path / "recorded")
    record_cache(["sweeps/r"], maker, dest=tmp_path / "recorded")
    monkeypatch.setenv("QTLIB_CACHE_DIR", str(tmp_path / "learner"))   # a learner's first run
    measure = CountingMeasure()
    got = run_cached(points, measure, config=SweepConfig(), namespace="r", progress=False)
    assert measure.calls == points[1:], "only the point nobody recorded is measured"
    assert [r.env["recorded"] for r in got] == [True, False]
    assert got[0].metrics == made[0].metrics
    fresh = run_cached(points[:1], measure, config=SweepConfig(), namespace="r",
                       use_cache=False, progress=False)
    assert not fresh[0].env["recorded"] and len(measure.calls) == 2


def test_cache_key_changes_with_config_recipe_group_and_versions(monkeypatch):
    measure = CountingMeasure()
    point = SweepPoint(StaticInt8(observer="minmax"))

    def run(p=point, config=None):
        run_cached([p], measure, config=config or SweepConfig(), namespace="t",
                   progress=False)
        return len(measure.calls)

    assert run() == 1 and run() == 1
    assert run(SweepPoint(StaticInt8(observer="percentile"))) == 2
    assert run(SweepPoint(StaticInt8(observer="minmax"), "ffn_output")) == 3
    assert run(config=dataclasses.replace(SweepConfig(), num_sentences=8)) == 4
    monkeypatch.setattr(sweep, "versions", lambda: {"qtlib": "9.9", "torch": "0"})
    assert run() == 5


def test_empty_or_wrong_points_are_refused():
    with pytest.raises(ValueError, match="points"):
        run_cached([], CountingMeasure(), config=SweepConfig(), namespace="t")
    with pytest.raises(TypeError, match="SweepPoint"):
        run_cached([DynamicInt8()], CountingMeasure(), config=SweepConfig(), namespace="t")
    with pytest.raises(TypeError, match="dataclass"):
        run_cached([SweepPoint(Float32())], CountingMeasure(), config={}, namespace="t")


def test_a_measure_returning_objects_is_refused():
    with pytest.raises(TypeError, match="plain numbers"):
        run_cached([SweepPoint(Float32())], lambda p: {"x": [1, 2]}, config=SweepConfig(),
                   namespace="t", progress=False)


class _Toy(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(8, 16), nn.Linear(16, 4)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def test_a_recipe_added_by_registration_alone_is_applied_swept_cached_tabled_plotted():
    @register
    @dataclass(frozen=True)
    class ToyInt6(Recipe):
        name: ClassVar[str] = "toy_int6"
        description: ClassVar[str] = "a test-only recipe: int6 weights per channel"
        sweep_variants: ClassVar[tuple] = ({},)

        @property
        def setting(self):
            return "w6"

        def quantize(self, model, calibration=None):
            return quantize_weight_only(model, num_bits=6, include=self.include,
                                        exclude=self.exclude)

    try:
        torch.manual_seed(0)
        model = _Toy().eval()
        x = torch.randn(32, 8)
        points = [p for p in default_points() if p.recipe.name in ("float32", "toy_int6")]
        assert [p.label for p in points] == ["float32", "toy_int6 w6"]

        def measure(point):  # applied: the registry finds and runs the new recipe
            new, report = apply(model, point.recipe)
            err = (new(x) - model(x)).abs().max().item()
            return {"minilm_cos_mean": 1.0 - err, "minilm_size_bytes": report.model_bytes_after
                    or sum(p.numel() * 4 for p in model.parameters())}

        results = run_cached(points, measure, config=SweepConfig(), namespace="toy",
                             progress=False)
        again = run_cached(points, measure, config=SweepConfig(), namespace="toy",
                           progress=False)
        assert [r.env["cached"] for r in again] == [True, True]
        table = results_table(results)
        toy = table[table["method"] == "toy_int6"].iloc[0]
        assert toy["setting"] == "w6" and toy["minilm_size_bytes"] < table.iloc[0][
            "minilm_size_bytes"]
        assert 0.9 < toy["minilm_cos_mean"] < 1.0
        plot = tradeoff_scatter(table, "minilm_size_bytes", "minilm_cos_mean",
                                group_by="method")
        legend = [t.get_text() for t in plot.figure.axes[0].get_legend().get_texts()]
        assert "toy_int6" in legend and "toy_int6 w6" in plot.description
    finally:
        unregister("toy_int6")
    assert "toy_int6" not in registered()


def test_run_sweep_table_has_the_columns_the_chapter_reads(monkeypatch):
    class FakeBench:
        def __init__(self, config):
            pass

        def measure(self, point):
            return {"vit_accuracy": 0.9, "minilm_cos_mean": 0.99, "minilm_speedup": 1.5}

    monkeypatch.setattr(ch05_tradeoffs, "ChapterBench", FakeBench)
    table = ch05_tradeoffs.run_sweep(progress=False)
    for column in ("label", "method", "setting", "keep_float", "vit_accuracy", "cached",
                   "measure_s"):
        assert column in table.columns
    assert isinstance(table, pd.DataFrame) and len(table) == len(default_points())
