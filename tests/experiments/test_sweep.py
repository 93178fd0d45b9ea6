"""The sweep's recipes and its on-disk cache, with a fake measurement (no models, no timing)."""

import dataclasses

import pandas as pd
import pytest

from qtlib.eval import sweep
from qtlib.experiments.sweep import (
    KEEP_FLOAT,
    METHODS,
    Recipe,
    SweepConfig,
    default_recipes,
    run_cached,
)


@pytest.fixture(autouse=True)
def _tmp_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("QTLIB_CACHE_DIR", str(tmp_path))


class CountingMeasure:
    def __init__(self):
        self.calls = []

    def __call__(self, recipe):
        self.calls.append(recipe)
        return {"size_bytes": 100 + len(self.calls), "cos_mean": 0.99}


def test_default_recipes_cover_the_chapter_table():
    recipes = default_recipes()
    assert len(set(recipes)) == len(recipes)
    assert recipes[0] == Recipe("float32")
    methods = {r.method for r in recipes}
    assert methods == set(METHODS)
    assert len({r.setting for r in recipes if r.method == "static_int8"}) >= 2
    assert len({r.setting for r in recipes if r.method == "weight_only_int4"}) == 2
    assert len({r.setting for r in recipes if r.method == "weight_sharing"}) == 2
    for group in KEEP_FLOAT:
        for method in sweep.KEEP_FLOAT_METHODS:
            assert any(r.keep_float == group for r in recipes if r.method == method)
    assert {r.keep_float for r in recipes if r.method == "weight_sharing"} == {"none"}


@pytest.mark.parametrize("kwargs, word", [
    ({"method": "dynamic"}, "method"),
    ({"method": "static_int8", "setting": "mse2"}, "setting"),
    ({"method": "dynamic_int8", "setting": "per-token", "keep_float": "embeddings"}, "keep_float"),
    ({"method": "float32", "keep_float": "ffn_output"}, "keep_float"),
])
def test_bad_recipe_names_the_argument(kwargs, word):
    with pytest.raises(ValueError, match=word):
        Recipe(**kwargs)


def test_second_run_reads_the_cache_and_keeps_order():
    recipes = [Recipe("float32"), Recipe("weight_sharing", "k16"),
               Recipe("dynamic_int8", "per-token")]
    measure = CountingMeasure()
    first = run_cached(recipes, measure, config=SweepConfig(), progress=False)
    assert len(measure.calls) == 3
    assert list(first["label"]) == [r.label for r in recipes]
    assert not first["cached"].any()
    second = run_cached(recipes, measure, config=SweepConfig(), progress=False)
    assert len(measure.calls) == 3, "a warm cache must not measure again"
    assert second["cached"].all()
    pd.testing.assert_frame_equal(first.drop(columns="cached"), second.drop(columns="cached"))


def test_cache_key_changes_with_config_recipe_and_versions(monkeypatch):
    r = Recipe("static_int8", "minmax")
    base = sweep.cache_key(r, SweepConfig())
    assert base == sweep.cache_key(Recipe("static_int8", "minmax"), SweepConfig())
    assert base != sweep.cache_key(Recipe("static_int8", "percentile"), SweepConfig())
    assert base != sweep.cache_key(r, dataclasses.replace(SweepConfig(), num_sentences=8))
    monkeypatch.setattr(sweep, "versions", lambda: {"qtlib": "9.9", "torch": "0"})
    assert base != sweep.cache_key(r, SweepConfig())


def test_changed_config_measures_only_again():
    measure = CountingMeasure()
    recipes = [Recipe("float32"), Recipe("weight_sharing", "k4")]
    run_cached(recipes, measure, config=SweepConfig(), progress=False)
    run_cached(recipes, measure, config=dataclasses.replace(SweepConfig(), seed=1), progress=False)
    assert len(measure.calls) == 4
    run_cached(recipes[:1], measure, config=SweepConfig(), use_cache=False, progress=False)
    assert len(measure.calls) == 5


def test_empty_or_wrong_recipes_are_refused():
    with pytest.raises(ValueError, match="recipes"):
        run_cached([], CountingMeasure(), config=SweepConfig(), progress=False)
    with pytest.raises(TypeError, match="Recipe"):
        run_cached(["float32"], CountingMeasure(), config=SweepConfig(), progress=False)


def test_unserializable_figure_is_a_clear_error():
    with pytest.raises(TypeError, match="plain numbers"):
        run_cached([Recipe("float32")], lambda r: {"x": object()}, config=SweepConfig(),
                   progress=False)
