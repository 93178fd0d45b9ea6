"""ch06's explorer callback: text, figure and speed from a sweep table (no model runs)."""

import pandas as pd
import pytest

from qtlib.widgets.qat_explorer import qat_view, qat_widget


def fake_sweep() -> pd.DataFrame:
    rows = []
    for i, setting in enumerate(("W8A8", "W3A4")):
        for method, acc in (("ptq", 0.97 - 0.08 * i), ("qat", 0.97 - 0.02 * i),
                            ("lsq", 0.965 - 0.015 * i)):
            steps = 0 if method == "ptq" else 40
            rows.append({"setting": setting, "method": method, "accuracy": acc,
                         "agreement": 0.997, "train_s": 12.0 if steps else 0.0, "steps": steps,
                         "losses": [1.0 / (k + 1) for k in range(steps)]})
    return pd.DataFrame(rows)


def test_view_states_accuracy_gap_and_agreement():
    # reads the table only (no model runs): its speed is measured in the chapter's report
    table = fake_sweep()
    view = qat_view(table, "W3A4", "ptq", 0.975)
    assert view["text"].startswith("W3A4, post-training (no training): test accuracy 89.0%")
    assert "+8.5 points below float32 97.5%" in view["text"]
    assert "agrees on 99.7%" in view["text"]
    assert view["png"][:4] == b"\x89PNG"
    assert "QAT 95.0%" in view["description"] and "float32 97.5%" in view["description"]
    trained = qat_view(table, "W3A4", "lsq", 0.975)
    assert "40 training steps" in trained["text"]


def test_unknown_setting_or_method_names_the_choices():
    with pytest.raises(ValueError, match="W8A8"):
        qat_view(fake_sweep(), "W1A1", "qat", 0.975)
    with pytest.raises(ValueError, match="lsq"):
        qat_view(fake_sweep(), "W8A8", "gptq", 0.975)


def test_widget_builds_and_follows_its_dropdowns():
    box = qat_widget(fake_sweep(), 0.975, setting="W3A4")
    setting_box, method_box = box.children[0].children
    result = box.children[1]
    assert "W3A4, QAT, min-max scales" in result.value
    method_box.value = "lsq"
    assert "learned scales" in result.value
    setting_box.value = "W8A8"
    assert result.value.startswith("<pre>W8A8")


def test_figures_are_drawn_once_per_setting():
    table, figures = fake_sweep(), {}
    first = qat_view(table, "W3A4", "ptq", 0.975, figures)
    assert set(figures) == {"W3A4"}
    again = qat_view(table, "W3A4", "lsq", 0.975, figures)
    assert again["png"] is first["png"] and again["text"] != first["text"]
