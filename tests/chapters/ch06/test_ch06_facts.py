"""Facts that chapter 6's prose states as plain text (not computed in a cell) are checked here."""

import re
from pathlib import Path

import nbformat
import pytest
import torch

from qtlib.data.digits import TEST_SIZE
from qtlib.experiments import ch06_qat
from qtlib.quant import QuantSpec, fake_quantize, ste

ROOT = Path(__file__).resolve().parents[3]
NOTEBOOK = ROOT / "solutions" / "ch06_quantization_aware_training" / \
    "ch06_quantization_aware_training.ipynb"
COURSE_MAP = ROOT / "solutions" / "ch00_getting_started" / "ch00_getting_started.ipynb"


@pytest.fixture(scope="module")
def text():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def test_section_times_add_up_to_the_course_map_line(text):
    minutes = [int(m) for m in re.findall(r"^## .*\(about (\d+) minutes\)", text, re.M)]
    assert len(minutes) == 5 and sum(minutes) == 95       # "About an hour and a half in all"
    course_map = nbformat.read(COURSE_MAP, as_version=4)
    line = next(line for c in course_map.cells for line in c.source.splitlines()
                if line.startswith("| 6. Quantization-aware training"))
    assert "about 95 minutes" in line


def test_setting_and_layers_kept_float_as_stated(text):
    assert ch06_qat.KEEP_FLOAT == ("patch_embed", "head")  # "patch embedding and classifier"
    assert ch06_qat.parse_setting("W3A4") == (3, 4)
    assert QuantSpec(num_bits=3).qmin >= -128               # "3-bit codes fit in int8 storage"
    assert "W3A4" in text and "W2A8" in text


def test_one_test_image_is_028_points():
    assert TEST_SIZE == 360 and round(100 / TEST_SIZE, 2) == 0.28


def test_the_ste_is_the_staircase_slope_seen_over_a_few_steps():
    spec, scale = QuantSpec(num_bits=4), 0.1

    def staircase(x):
        return fake_quantize(x.float(), scale, 0, spec)

    x = torch.cat([torch.linspace(-0.3, 0.2, 6), torch.tensor([-1.6, -1.4, 1.3, 1.5])])
    fine = ste.finite_difference_slope(staircase, x, h=0.001)
    assert fine.abs().max() == 0                              # "every finite difference is 0"
    agree = ste.ste_agreement(staircase, x, h=0.4)
    assert agree["mean_fd_where_ste_is_1"] == pytest.approx(1.0, abs=0.01)
    assert agree["mean_fd_where_ste_is_0"] == pytest.approx(0.0, abs=1e-9)


def test_ptq_survives_w8a8_and_fails_at_the_chosen_setting():
    # the PTQ points need no training: measured here, not read from a cache
    float_acc = ch06_qat.float_accuracy()
    from qtlib.data import digits
    from qtlib.eval.quality import accuracy

    acc = {s: accuracy(ch06_qat.prepare(s, "ptq").eval(), digits("test"))
           for s in ("W8A8", "W3A4")}
    assert 100 * (float_acc - acc["W8A8"]) < 0.5
    assert 100 * (float_acc - acc["W3A4"]) >= 5


def test_the_record_shows_ptq_fail_and_trained_methods_recover(text):
    # the notebook's table and verdict come from the shipped record; facts checked here:
    record = ch06_qat.load_record()
    table = ch06_qat.recorded_table(record)
    summary = ch06_qat.summary(table)
    float_pts = 100 * record["float_accuracy"]
    loss = ch06_qat.ptq_loss_points(table, record["float_accuracy"])
    assert loss["W8A8"] < 0.5 and loss["W3A4"] >= 5 and loss["W4A4"] < 5   # W3A4 is "chosen"
    assert loss["W2A8"] > loss["W3A4"]                      # "PTQ loses even more at W2A8"
    best = min(float_pts - summary.loc["W3A4", m] for m in ("qat", "lsq"))
    assert best <= 1.0                                      # a trained method within 1 point
    assert "distilled" in text and record["config"].distill == 1.0   # "instead of the label"


def test_the_stated_noise_of_the_test_set(text):
    import math

    assert round(100 * math.sqrt(0.96 * 0.04 / TEST_SIZE)) == 1   # "about 1 point"
    assert "distillation weight 0, 0.5 or 1" in text
