"""ch06's experiment: settings, deterministic training data, one cached QAT point."""

import pytest
import torch

from qtlib.experiments import ch06_qat


def test_parse_setting_and_its_errors():
    assert ch06_qat.parse_setting("W3A4") == (3, 4)
    for bad in ("W1A4", "W3", "w3a4", 34):
        with pytest.raises(ValueError, match="W3A4"):
            ch06_qat.parse_setting(bad)


def test_train_batches_are_seeded_and_shifted():
    a = ch06_qat.train_batches(1, batch_size=100, seed=3)
    b = ch06_qat.train_batches(1, batch_size=100, seed=3)
    assert len(a) == 15 and a[0][0].shape == (100, 1, 8, 8)
    assert all(torch.equal(x1, x2) and torch.equal(y1, y2)
               for (x1, y1), (x2, y2) in zip(a, b, strict=True))
    assert not torch.equal(a[0][0], ch06_qat.train_batches(1, 100, seed=4)[0][0])


def test_a_point_is_trained_once_then_read_from_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("QTLIB_CACHE_DIR", str(tmp_path))
    config = ch06_qat.QATConfig(epochs=1, lr=5e-4)
    first = ch06_qat.run_sweep(["W4A8"], ["ptq", "lsq"], config, progress=False)
    assert list(first["method"]) == ["ptq", "lsq"] and not first["cached"].any()
    lsq = first.set_index("method").loc["lsq"]
    assert lsq["steps"] == 23 and len(lsq["losses"]) == 23
    assert 0.5 < lsq["accuracy"] <= 1 and lsq["agreement"] >= 0.99
    again = ch06_qat.run_sweep(["W4A8"], ["ptq", "lsq"], config, progress=False)
    assert again["cached"].all()
    assert again["accuracy"].tolist() == first["accuracy"].tolist()
    assert again.set_index("method").loc["lsq", "losses"] == lsq["losses"]
    summary = ch06_qat.summary(again)
    assert list(summary.columns) == ["ptq", "lsq"] and list(summary.index) == ["W4A8"]
