"""ch04's recorded measurements are real: re-measure cheap points and compare with the record.

The TinyGPT sweeps take tens of minutes cold, so chapter 4 ships them as a JSON record
(``python -m qtlib.experiments.ch04_ptq record``). These tests fail when the record is stale
(other settings, another torch, or code that changed the numbers).
"""

import json
from dataclasses import asdict

import pytest
import torch

from qtlib.experiments import ch04_ptq
from qtlib.experiments.sweep import versions
from qtlib.methods import Float32, WeightOnly


@pytest.fixture(scope="module")
def record():
    return ch04_ptq.read_record()


def test_record_names_its_settings_and_versions(record):
    assert record["config"] == asdict(ch04_ptq.Ch04Config())
    assert record["versions"] == versions(), "re-record after a torch or qtlib version change"
    assert record["command"] == ch04_ptq.RECORD_COMMAND
    json.dumps(record, allow_nan=False)  # strict JSON, no NaN
    table = ch04_ptq.group_size_sweep()
    assert len(table) == 1 + 2 * len(ch04_ptq.BITS) * len(ch04_ptq.GROUP_SIZES)
    assert set(table.method) == {"float32", "RTN", "GPTQ"}


def test_recorded_is_the_default_and_other_configs_need_live():
    with pytest.raises(ValueError, match="source='live'"):
        ch04_ptq.group_size_sweep(ch04_ptq.Ch04Config(seed=1))
    with pytest.raises(ValueError, match="source must be"):
        ch04_ptq.side_by_side(source="cached")
    with pytest.raises(FileNotFoundError, match="record"):
        ch04_ptq.read_record("/nonexistent/ch04.json")


@pytest.mark.parametrize("recipe, method, bits, group",
                         [(Float32(), "float32", 32, "-"),
                          (WeightOnly(num_bits=4, group_size=32), "RTN", 4, 32)])
def test_recorded_points_match_a_live_measurement(recipe, method, bits, group):
    torch.set_num_threads(2)
    row = ch04_ptq.recorded_row(ch04_ptq.group_size_sweep(), method, bits, group)
    live = ch04_ptq.measure_point(recipe)
    assert live["perplexity"] == pytest.approx(row["perplexity"], rel=1e-4)
    assert live["bytes_per_weight"] == pytest.approx(row["bytes_per_weight"], rel=1e-12)


def test_the_gptq_target_holds_in_the_record():
    table = ch04_ptq.group_size_sweep()
    assert ch04_ptq.gap_closed(table, 3, 128) >= 0.5
    assert ch04_ptq.gap_closed(table, 4, 128) > 0


def test_tinyvit_reference_live_matches_the_record():
    torch.set_num_threads(2)
    recorded = ch04_ptq.tinyvit_reference().set_index("variant")
    live = ch04_ptq.tinyvit_reference(source="live", repeats=0).set_index("variant")
    assert "X86InductorQuantizer + torch.compile" in recorded.index  # recorded only
    assert set(live.index) == set(recorded.index) - {"X86InductorQuantizer + torch.compile"}
    for variant, row in live.iterrows():
        assert bool(row["error"]) == bool(recorded.loc[variant, "error"]), variant
        if not row["error"]:
            # 360 test images: allow one image to flip between machines
            assert abs(row["accuracy"] - recorded.loc[variant, "accuracy"]) <= 1 / 360 + 1e-9
            assert row["accuracy"] > 0.9, variant
