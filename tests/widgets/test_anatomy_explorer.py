"""The ch01 anatomy explorer's callbacks, called directly (no browser): qtlib.widgets.anatomy."""

import time

import matplotlib
import pytest

from qtlib import models
from qtlib.eval.anatomy import dims_of
from qtlib.widgets import anatomy

matplotlib.use("Agg")


def test_presets_are_the_course_models():
    presets = anatomy.course_presets()
    assert list(presets) == ["TinyViT", "TinyGPT", "MiniLM"]
    assert presets["TinyViT"] == dims_of(models.load("tinyvit-digits"))
    assert presets["TinyGPT"] == dims_of(models.load("tinygpt"))
    assert presets["MiniLM"] == dims_of(models.load("minilm"))


def test_explore_the_presets_unchanged():
    presets = anatomy.course_presets()
    for name, dims in presets.items():
        view = anatomy.explore(dims, **anatomy.settings_of(dims), presets=presets,
                               figure=False)
        assert view.breakdown.dims == dims and view.error == ""
        assert f"**{name}**" in view.text and "Course models at their own settings" in view.text


def test_sliders_change_the_right_things():
    presets = anatomy.course_presets()
    gpt = presets["TinyGPT"]
    settings = anatomy.settings_of(gpt)
    bigger = anatomy.explore(gpt, **{**settings, "vocab_size": 50_000}, figure=False).breakdown
    assert bigger.dims.name == "TinyGPT-like"
    assert bigger.params["head"] == 50_000 * gpt.dim            # the LM head follows the vocabulary
    assert bigger.flops["head"] == 2 * gpt.seq_len * gpt.dim * 50_000
    longer = anatomy.explore(gpt, **{**settings, "seq_len": 1024}, figure=False).breakdown
    assert longer.dims.max_positions == 1024                      # the position table grows
    vit = presets["TinyViT"]
    view = anatomy.explore(vit, **{**anatomy.settings_of(vit), "vocab_size": 999}, figure=False)
    assert view.breakdown.dims.vocab_size == 0                   # patches: no vocabulary
    heads = anatomy.explore(gpt, **{**settings, "num_heads": 8}, figure=False).breakdown
    assert heads.params == anatomy.explore(gpt, **settings, figure=False).breakdown.params
    four = anatomy.explore(gpt, **settings, bits=4, figure=False).breakdown
    assert four.weight_bits == 4 and four.total("bytes") < four.total("params")


def test_impossible_settings_answer_with_a_message():
    minilm = anatomy.course_presets()["MiniLM"]
    view = anatomy.explore(minilm, **{**anatomy.settings_of(minilm), "num_heads": 5})
    assert view.breakdown is None and view.figure is None
    assert "num_heads" in view.error and "Impossible settings" in view.text
    with pytest.raises(ValueError, match="bits"):
        anatomy.explore(minilm, **anatomy.settings_of(minilm), bits=3)


def test_explore_answers_quickly_with_the_figure():
    presets = anatomy.course_presets()
    minilm = presets["MiniLM"]
    anatomy.explore(minilm, **anatomy.settings_of(minilm), presets=presets)   # warm matplotlib
    start = time.perf_counter()
    for seq_len in (64, 256, 1024):
        view = anatomy.explore(minilm, **{**anatomy.settings_of(minilm), "seq_len": seq_len},
                               presets=presets)
    per_call = (time.perf_counter() - start) / 3
    assert view.figure is not None and "*Figure:* Stacked bars" in view.text
    # generous bound: the chapter asks for 300 ms on a learner's laptop
    assert per_call < 1.0, f"explore took {per_call * 1000:.0f} ms per call"


def test_widget_builds_and_follows_the_preset():
    box = anatomy.anatomy_widget(initial="TinyGPT")
    assert box.last_view.breakdown.dims.name == "TinyGPT"
    preset = box.children[0].children[0].children[0]
    preset.value = "TinyViT"
    assert box.last_view.breakdown.dims.name == "TinyViT"
    with pytest.raises(ValueError, match="initial"):
        anatomy.anatomy_widget(initial="GPT-2")
