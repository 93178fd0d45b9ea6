"""ch03's measurements on MiniLM with a tiny configuration (few sentences), no cache."""

import math

import torch

from qtlib.experiments.ch03_design import DesignConfig, fake_w8a8, record, recorded


def test_tiny_design_measurements_are_consistent(tmp_path, monkeypatch):
    monkeypatch.setenv("QTLIB_CACHE_DIR", str(tmp_path))
    cfg = DesignConfig(calibration_sentences=4, eval_sentences=8, alphas=(0.5,), ks=(0, 36),
                       batch_size=8)
    # through record() and recorded(), as the chapter's record was made and is read
    path = record(cfg, path=tmp_path / "ch03_design.json")
    rec = recorded(path)
    assert rec["config"]["alphas"] == [0.5] and rec["seed"] == 0
    assert set(rec["versions"]) == {"qtlib", "torch"}
    r = rec["result"]
    assert len(r["layers"]) == 36
    assert set(r["sensitivity"]) == set(r["layers"])
    first, last = r["mixed_precision"]
    assert last["k"] == 36 and last["cosine_mean"] > 1 - 1e-6     # all float: identical
    assert first["weight_bytes"] * 4 == last["weight_bytes"]      # int8 vs float32 weights
    assert first["cosine_mean"] < last["cosine_mean"]
    assert all(0 < s["cosine_mean"] <= 1 + 1e-9 for s in r["sensitivity"].values())
    assert [row["method"] for row in r["alpha_table"]] == [
        "plain static W8A8", "SmoothQuant", "SmoothQuant, folded layers only"]
    assert all(math.isfinite(row["cosine_mean"]) for row in r["alpha_table"])


def test_fake_w8a8_restores_the_weights():
    lin = torch.nn.Sequential(torch.nn.Linear(8, 4))
    w = lin[0].weight.detach().clone()
    x = torch.randn(3, 8)
    with fake_w8a8(lin, {"0": (float(x.min()), float(x.max()))}, ["0"]):
        y = lin(x)
    assert torch.equal(lin[0].weight, w) and (y - lin(x)).abs().max() < 0.1


def test_the_record_matches_a_live_remeasurement():
    """Two recorded points measured again (seconds): a stale record fails here."""
    from qtlib.experiments.ch03_design import (
        DesignConfig,
        recorded,
        recorded_point,
        remeasure,
    )
    from qtlib.models import load

    rec = recorded()
    cfg = DesignConfig(**{k: tuple(v) if isinstance(v, list) else v
                          for k, v in rec["config"].items()})
    assert cfg == DesignConfig()
    live = remeasure(load("minilm"), cfg, alpha=0.5)
    res = rec["result"]
    for method, alpha in (("plain static W8A8", None), ("SmoothQuant", 0.5)):
        row = recorded_point(res, method, alpha)
        for key in ("cosine_mean", "cosine_min"):
            assert abs(live[method][key] - row[key]) < 2e-3, (method, key)
        assert abs(live[method]["sqnr_db"] - row["sqnr_db"]) < 0.2, method
    # the record is complete: every layer has maxima, a sensitivity and a byte count
    assert len(res["layers"]) == 36
    for key in ("act_absmax", "weight_absmax", "sensitivity", "weight_bytes"):
        assert set(res[key]) == set(res["layers"]), key
    assert [r["k"] for r in res["mixed_precision"]] == list(cfg.ks)


def test_the_emulation_computes_what_static_int8_computes():
    """fake_w8a8 (one forward per configuration) against the real StaticInt8 recipe (a model
    copy with StaticInt8Linear): same per-channel int8 weights, same per-tensor activation
    qparams from the same min-max ranges, so the outputs agree to float rounding."""
    from qtlib.methods import StaticInt8, apply

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.GELU(),
                                torch.nn.Linear(32, 8)).eval()
    calibration = [torch.randn(20, 16) * 3 for _ in range(4)]
    seen: dict[str, list[torch.Tensor]] = {"0": [], "2": []}
    hooks = [model[int(n)].register_forward_pre_hook(
        lambda _m, args, n=n: seen[n].append(args[0].detach())) for n in seen]
    with torch.no_grad():
        for x in calibration:
            model(x)
    for h in hooks:
        h.remove()
    ranges = {n: (float(torch.cat(v).min()), float(torch.cat(v).max())) for n, v in seen.items()}
    real, _ = apply(model, StaticInt8(observer="minmax"), calibration)
    x = torch.randn(50, 16) * 3
    with torch.no_grad(), fake_w8a8(model, ranges, ["0", "2"]):
        emulated = model(x)
    with torch.no_grad():
        exact = real.eval()(x)
        float_out = model(x)
    quant_error = (float_out - exact).abs().max()
    assert quant_error > 1e-3, "the test needs a visible quantization error to be meaningful"
    assert (emulated - exact).abs().max() < 0.02 * quant_error
