"""Facts that chapter 3's prose states as plain text (not computed in a cell) are checked here,
against the record the chapter reads (qtlib/recorded/ch03_design.json) or live."""

import re
from pathlib import Path

import nbformat
import pytest
import torch

from qtlib.experiments.ch03_design import DesignConfig, recorded, recorded_point

ROOT = Path(__file__).resolve().parents[3]
SLUG = "ch03_designing_for_quantization"
NOTEBOOK = ROOT / "solutions" / SLUG / f"{SLUG}.ipynb"


@pytest.fixture(scope="module")
def nb():
    return nbformat.read(NOTEBOOK, as_version=4)


@pytest.fixture(scope="module")
def text(nb):
    return " ".join(" ".join(c.source for c in nb.cells if c.cell_type == "markdown").split())


@pytest.fixture(scope="module")
def res():
    return recorded()["result"]


def sq(res, alpha):
    return recorded_point(res, "SmoothQuant", alpha)


def test_section_times_add_up_to_the_total(text):
    sections = [int(m) for m in re.findall(r"\(about (\d+) min\)", text)]
    assert sections == [20, 25, 35, 20, 10]
    assert "About 110 minutes in all" in text and sum(sections) == 110


def test_the_record_uses_the_stated_sentences_and_layers(text, res):
    assert "first 16 sentences of `qtlib.data.sentences()` to calibrate and the next 64" in text
    cfg = recorded()["config"]
    assert cfg["calibration_sentences"] == 16 and cfg["eval_sentences"] == 64
    assert cfg == {k: list(v) if isinstance(v, tuple) else v
                   for k, v in DesignConfig().__dict__.items()}
    assert "each of MiniLM's 36 linear layers" in text and len(res["layers"]) == 36
    assert "Four exercises" in text


def test_plain_w8a8_is_close_to_float_and_outliers_are_tens_not_hundreds(text, res):
    plain = recorded_point(res, "plain static W8A8")
    assert "a mean cosine above 0.99" in text and plain["cosine_mean"] > 0.99
    ratios = [max(v) / sorted(v)[(len(v) - 1) // 2] for v in res["act_absmax"].values()]
    assert "not the hundred-fold" in text and max(ratios) < 100


def test_smoothquant_reading_holds(text, res):
    plain = recorded_point(res, "plain static W8A8")
    assert "SmoothQuant at the paper's default alpha 0.5 is no better than plain" in text
    assert sq(res, 0.5)["cosine_mean"] <= plain["cosine_mean"] + 1e-4
    assert sq(res, 0.5)["sqnr_db"] <= plain["sqnr_db"] + 0.1
    assert "alpha 0.75) buys about 2 dB of SQNR on average, but loses on the worst sentence" in text
    assert 1.5 <= sq(res, 0.75)["sqnr_db"] - plain["sqnr_db"] <= 2.5
    assert sq(res, 0.75)["cosine_min"] < plain["cosine_min"]
    best = max((r for r in res["alpha_table"] if r["method"] == "SmoothQuant"),
               key=lambda r: r["sqnr_db"])
    assert best["alpha"] == 0.75
    assert "no alpha makes W8A8 \"nearly lossless\"" in text
    assert all(r["cosine_min"] < 0.999 for r in res["alpha_table"])
    assert "Low alphas (0, 0.25) are far *worse* than plain" in text
    assert all(sq(res, a)["sqnr_db"] < plain["sqnr_db"] - 10 for a in (0.0, 0.25))


def test_folded_only_smoothing_moves_sqnr_by_about_one_db(text, res):
    plain = recorded_point(res, "plain static W8A8")
    assert "Smoothing only the 6 foldable layers moves SQNR by about 1 dB at most" in text
    folded = [r for r in res["alpha_table"] if r["method"] == "SmoothQuant, folded layers only"]
    assert len(folded) == 5 and all(abs(r["sqnr_db"] - plain["sqnr_db"]) < 1.1 for r in folded)
    assert sum(1 for k in res["smoothing_kind"].values() if k != "explicit") == 6


def test_alpha_half_balances_the_maxima_and_the_int8_step(text):
    from qtlib.methods.smoothquant import smoothing_scales

    assert "`alpha = 0.5` makes the two maxima equal" in text
    a, w = torch.rand(50) * 30, torch.rand(50)
    s = smoothing_scales(a, w, 0.5)
    assert torch.allclose(a / s, w * s, rtol=1e-5)
    from qtlib.quant import QuantSpec

    assert "asymmetric int8 (255 steps)" in text and "the step is about `2m / 255`" in text
    spec = QuantSpec(8, symmetric=False)
    assert spec.qmax - spec.qmin == 255


def test_eager_mode_facts(text):
    from torch.ao.quantization.fuser_method_mappings import _DEFAULT_OP_LIST_TO_FUSER_METHOD

    assert "GELU is not on the fusion list" in text
    fusable = {t for key in _DEFAULT_OP_LIST_TO_FUSER_METHOD for t in key}
    assert torch.nn.GELU not in fusable and torch.nn.ReLU in fusable
    assert torch.nn.Linear in fusable
    from torch.ao.quantization.quantization_mappings import (
        DEFAULT_STATIC_QUANT_MODULE_MAPPINGS as mapping,
    )

    assert "LayerNorm has a quantized module (`nnq.LayerNorm`)" in text
    assert torch.nn.LayerNorm in mapping
    assert torch.nn.GELU not in mapping and torch.nn.Softmax not in mapping


def test_the_paper_is_quoted_as_it_says(text):
    # Xiao et al. 2023: OPT, BLOOM, GLM-130B; alpha 0.5 default, 0.75-0.9 for some (GLM-130B 0.75,
    # OPT/BLOOM 0.5, some models 0.8-0.85 in the reference code)
    assert "OPT, BLOOM, GLM from 6.7B to 176B parameters" in text
