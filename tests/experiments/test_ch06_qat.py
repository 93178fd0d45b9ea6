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


def test_soft_targets_mix_the_teachers_probabilities_with_the_labels():
    batches = ch06_qat.train_batches(1, batch_size=50, seed=1)[:2]
    teacher = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 10))
    for weight in (0.0, 0.3, 1.0):
        out = ch06_qat.soft_targets(batches, teacher, weight)
        for (x, y), (x2, probs) in zip(batches, out, strict=True):
            assert x2 is x and probs.shape == (len(y), 10)
            assert torch.allclose(probs.sum(1), torch.ones(len(y)))
            with torch.no_grad():
                expected = weight * teacher(x).softmax(-1) + (1 - weight) * torch.nn.functional \
                    .one_hot(y, 10).float()
            assert torch.allclose(probs, expected)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        ch06_qat.soft_targets(batches, teacher, 1.5)


def test_the_first_steps_of_a_run_are_the_full_runs_first_steps():
    config = ch06_qat.QATConfig(epochs=1, lr=5e-3, batch_size=240)
    _, full, _ = ch06_qat.train("W4A8", "qat", config, progress=False)
    _, first, _ = ch06_qat.train("W4A8", "qat", config, progress=False, steps=3)
    assert len(full) == 6 and len(first) == 3
    assert first == full[:3]          # same data, seeds and cosine learning rates


def test_the_shipped_record_is_complete_and_not_stale():
    record = ch06_qat.load_record()
    table = ch06_qat.recorded_table(record)
    assert set(table["setting"]) == set(ch06_qat.SETTINGS)
    assert sorted(table.groupby("setting").size().unique()) == [len(ch06_qat.METHODS)]
    assert record["config"] == ch06_qat.QATConfig()       # recorded with today's defaults
    trained = table[table["method"] != "ptq"]
    assert (trained["steps"] == trained["losses"].map(len)).all()
    assert (trained["agreement"] >= 0.99).all()
    # re-measured live: the float model, one PTQ point, the start of one training curve
    assert ch06_qat.float_accuracy() == record["float_accuracy"]
    assert ch06_qat.recheck(record, "W3A4", "ptq")["max_abs_diff"] <= 1 / 360
    assert ch06_qat.recheck(record, "W3A4", "lsq", steps=3)["max_abs_diff"] <= 1e-3
    with pytest.raises(ValueError, match="no point"):
        ch06_qat.recheck(record, "W5A5", "ptq")
