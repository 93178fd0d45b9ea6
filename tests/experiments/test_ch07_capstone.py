"""The capstone artifact, rebuild, faithfulness and measurement (experiments.ch07_capstone)."""

from collections import OrderedDict

import pytest
import torch
from torch import nn

from qtlib.experiments import ch07_capstone as cap
from qtlib.methods import DynamicInt8, Float32, apply
from qtlib.models import load


@pytest.fixture(scope="module")
def fp32():
    return load("minilm")


@pytest.fixture(scope="module")
def int8_artifact(fp32):
    q, _ = apply(fp32, DynamicInt8())
    return cap.make_artifact(DynamicInt8(), q)


def _copy(artifact):
    return {"recipe": dict(artifact["recipe"]),
            "state_dict": OrderedDict((k, v.clone()) for k, v in artifact["state_dict"].items())}


def test_save_and_load_round_trip_tensors_only(tmp_path, int8_artifact):
    folder = cap.save_artifact(int8_artifact, tmp_path / "art")
    back = cap.load_artifact(folder)
    assert back["recipe"] == DynamicInt8().to_dict()
    assert cap.artifact_key(back) == cap.artifact_key(int8_artifact)


def test_key_changes_with_one_code(int8_artifact):
    other = _copy(int8_artifact)
    name = next(k for k, v in other["state_dict"].items() if v.dtype == torch.int8)
    other["state_dict"][name][0, 0] += 1
    assert cap.artifact_key(other) != cap.artifact_key(int8_artifact)


def test_rebuild_loads_the_artifacts_tensors(int8_artifact):
    model = cap.rebuild(int8_artifact, load("minilm"))
    for k, v in model.state_dict().items():
        assert torch.equal(v, int8_artifact["state_dict"][k]), k


def test_rebuild_refuses_a_smaller_model(int8_artifact):
    small = _copy(int8_artifact)
    small["state_dict"] = OrderedDict((k, v) for k, v in small["state_dict"].items()
                                      if ".layer.5." not in k)
    with pytest.raises(ValueError, match="missing"):
        cap.rebuild(small, load("minilm"))


def test_rebuild_refuses_float_weights_under_an_int8_label(fp32):
    fake = {"recipe": DynamicInt8().to_dict(), "state_dict": fp32.state_dict()}
    with pytest.raises(ValueError):
        cap.rebuild(fake, load("minilm"))


def test_rebuild_refuses_an_unknown_method(int8_artifact):
    bad = _copy(int8_artifact)
    bad["recipe"] = {"method": "magic"}
    with pytest.raises(ValueError, match="unknown method"):
        cap.rebuild(bad, load("minilm"))


def test_faithfulness_accepts_int8_and_float(fp32, int8_artifact):
    rep = cap.faithfulness(cap.rebuild(int8_artifact, load("minilm")), fp32)
    assert rep["faithful"] and 0 < rep["max_weight_error"] < 0.1
    assert cap.faithfulness(fp32, fp32)["max_weight_error"] == 0


def test_faithfulness_refuses_shuffled_codes_and_edited_norms(fp32, int8_artifact):
    shuffled = _copy(int8_artifact)
    g = torch.Generator().manual_seed(0)
    name = next(k for k, v in shuffled["state_dict"].items()
                if v.dtype == torch.int8 and v.ndim == 2 and "layer.3" in k)
    w = shuffled["state_dict"][name]
    shuffled["state_dict"][name] = w.reshape(-1)[torch.randperm(w.numel(), generator=g)
                                                ].reshape(w.shape)
    rep = cap.faithfulness(cap.rebuild(shuffled, load("minilm")), fp32)
    assert not rep["faithful"] and "layer.3" in rep["worst"]
    norms = _copy(int8_artifact)
    key = next(k for k in norms["state_dict"] if k.endswith("LayerNorm.weight"))
    norms["state_dict"][key] = norms["state_dict"][key] * 2
    assert not cap.faithfulness(cap.rebuild(norms, load("minilm")), fp32)["faithful"]


def test_verdicts_need_a_faithful_artifact():
    good = {"faithful": True, "size_mb": 20.0, "cosine_mean": 0.995, "retrieval": 0.97,
            "retrieval_fp32": 0.97, "speedup": 2.0}
    assert all(cap.verdicts(good).values())
    assert not any(cap.verdicts({**good, "faithful": False}).values())
    assert cap.verdicts({**good, "retrieval": 0.95}) == {**cap.verdicts(good), "retrieval": False}
    assert not cap.verdicts({**good, "size_mb": 30.5})["size"]
    assert not cap.verdicts({**good, "speedup": cap.BUDGETS.min_speedup - 0.01})["speed"]


def test_measure_int8_meets_size_fidelity_retrieval_and_is_memoized(int8_artifact):
    m = cap.measure_artifact(int8_artifact, speed=False)
    assert m["faithful"] and m["size_mb"] < 30 and m["cosine_mean"] > 0.99
    assert m["met"]["size"] and m["met"]["fidelity"] and m["met"]["retrieval"]
    assert cap.measure_artifact(_copy(int8_artifact), speed=False) is m


def test_measure_float32_misses_size(fp32):
    m = cap.measure_artifact(cap.make_artifact(Float32(), fp32), speed=False)
    assert m["faithful"] and m["cosine_mean"] > 0.9999 and not m["met"]["size"]


def test_measure_reports_instead_of_raising_for_a_broken_artifact():
    m = cap.measure_artifact({"recipe": {"method": "float32"}, "state_dict": {}}, speed=False)
    assert not m["faithful"] and "missing" in m["problem"] and not any(m["met"].values())


def test_miss_messages_name_the_figure_or_why_nothing_was_measured():
    good = {"faithful": True, "problem": None, "size_mb": 31.24, "cosine_mean": 0.98765,
            "retrieval": 0.95, "retrieval_fp32": 0.971, "speedup": 1.1}
    assert cap.miss_message(good, "size") == "measures 31.2 MB rebuilt"
    assert "0.9877" in cap.miss_message(good, "fidelity")
    assert "95.0%" in cap.miss_message(good, "retrieval") and "97.1%" in cap.miss_message(
        good, "retrieval")
    assert "1.10x" in cap.miss_message(good, "speed")
    bad = {**good, "faithful": False, "problem": "encoder.layer.0: weights 0.90 away"}
    for budget in ("fidelity", "retrieval", "speed"):
        assert cap.miss_message(bad, budget).startswith("was not measured")
        assert "encoder.layer.0" in cap.miss_message(bad, budget)
    with pytest.raises(ValueError, match="budget must be"):
        cap.miss_message(good, "latency")


class Twice(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, **inputs):
        self.model(**inputs)
        return self.model(**inputs)


def test_speed_ratio_sees_a_model_doing_twice_the_work(fp32):
    torch.manual_seed(0)
    s = cap.speed_ratio(fp32, Twice(fp32).eval(), runs=3, threads=1, budget_s=0.3)
    assert len(s["runs"]) == 3 and s["speedup"] < 0.8, s


ROWS = [cap.candidate_row(name, {"size_mb": s, "cosine_mean": c, "retrieval": r,
                                 "retrieval_fp32": 0.97, "speedup": v, "faithful": True})
        for name, s, c, r, v in [("int8", 22.9, 0.997, 0.97, 1.4),
                                 ("int8 float emb", 58.5, 0.997, 0.97, 1.3),
                                 ("int4 g32", 54.5, 0.964, 0.97, 0.5)]]


def test_candidate_rows_know_which_meet_every_budget():
    assert [r["meets_all"] for r in ROWS] == [True, False, False]
    assert ROWS[0]["retrieval_drop"] == 0


@pytest.mark.parametrize("x,y", [("size", "fidelity"), ("speed", "retrieval")])
def test_candidates_view_draws_and_describes_budgets(x, y):
    png, text = cap.candidates_view(ROWS, x, y, highlight="int8")
    assert png[:4] == b"\x89PNG" and "Budgets drawn" in text and "int8" in text
    assert "Meeting every budget: int8." in text


def test_candidates_view_refuses_unknown_axes_and_no_rows():
    with pytest.raises(ValueError, match="axis"):
        cap.candidates_view(ROWS, "colour", "size")
    with pytest.raises(ValueError, match="no candidates"):
        cap.candidates_view([], "size", "fidelity")


def test_the_record_is_not_stale(int8_artifact):
    """Re-measure the recorded dynamic int8 point (without the slow speed runs)."""
    row = next(r for r in cap.recorded()["candidates"] if r["label"] == "dynamic int8")
    assert row["recipe"] == DynamicInt8().to_dict()
    m = cap.measure_artifact(int8_artifact, speed=False)
    assert abs(m["size_mb"] - row["size_mb"]) < 0.01
    assert abs(m["cosine_mean"] - row["cosine_mean"]) < 1e-3
    assert abs(m["retrieval"] - row["retrieval"]) < 0.015
    assert row["speedup"] >= cap.BUDGETS.min_speedup


def test_build_artifact_matches_make_artifact(int8_artifact):
    assert cap.artifact_key(cap.build_artifact(DynamicInt8())) == cap.artifact_key(int8_artifact)
