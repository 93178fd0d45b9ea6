"""Facts that chapter 4's prose states as plain text (not computed in a cell) are checked here.

The measured ones read the chapter's record (qtlib/recorded/ch04_ptq.json).
"""

from pathlib import Path

import nbformat
import pytest

from qtlib.experiments import ch04_ptq
from qtlib.quant import PercentileObserver, QuantSpec, bytes_per_weight

ROOT = Path(__file__).resolve().parents[3]
SLUG = "ch04_post_training_quantization"
NOTEBOOK = ROOT / "solutions" / SLUG / f"{SLUG}.ipynb"


@pytest.fixture(scope="module")
def markdown() -> str:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


@pytest.fixture(scope="module")
def table():
    return ch04_ptq.group_size_sweep(progress=False)


def test_settings_the_prose_names(markdown):
    config = ch04_ptq.Ch04Config()
    assert "32 windows of 64 bytes" in markdown and config.calibration_windows == 32
    assert "64 course sentences" in markdown
    assert ch04_ptq.tinygpt_calibration(32)[0].shape == (32, 64)
    assert "top 0.01 %" in markdown and PercentileObserver(QuantSpec()).percentile == 99.99
    assert "0.625 bytes per weight" in markdown and bytes_per_weight(4, 32) == 0.625
    assert "groups of 32, 64, 128 and" in markdown
    assert ch04_ptq.GROUP_SIZES == (32, 64, 128, None) and ch04_ptq.BITS == (4, 3)


def test_gptq_closes_half_the_gap_at_int3_g128(table):
    # the target, measured (the chapter computes the same number in a cell)
    assert ch04_ptq.gap_closed(table, 3, 128) >= 0.5


def test_gptq_helps_little_at_int4_g32_and_a_lot_at_int3_g128(markdown, table):
    assert "GPTQ helps little at int4 g32 and a lot at int3 g128" in markdown
    s = table.set_index(["method", "bits", "group_size"])["perplexity"]
    small = s["RTN", 4, 32] - s["GPTQ", 4, 32]
    large = s["RTN", 3, 128] - s["GPTQ", 3, 128]
    assert 0 < small < large / 3


def test_smaller_groups_cost_more_bytes_and_rtn_loses_more_with_bigger_groups(table):
    rtn = table[table.method == "RTN"].set_index(["bits", "group_size"])
    for bits in (4, 3):
        b = [rtn.loc[(bits, g), "bytes_per_weight"] for g in (32, 64, 128, "per-channel")]
        p = [rtn.loc[(bits, g), "perplexity"] for g in (32, 64, 128, "per-channel")]
        assert b == sorted(b, reverse=True) and p == sorted(p)


def test_section_5_settings_and_recorded_facts(markdown):
    import inspect

    from qtlib.data import digits

    assert "360 images" in markdown and len(digits("test")) == 360
    assert "256 training images" in markdown
    default = inspect.signature(ch04_ptq.tinyvit_reference).parameters["calibration_images"]
    assert default.default == 256
    ref = ch04_ptq.tinyvit_reference().set_index("variant")
    compiled = ref.loc["X86InductorQuantizer + torch.compile"]
    flat = " ".join(markdown.split())
    assert "about half a minute to a minute" in flat and 10 < compiled["prepare_s"] < 120
    assert "needs the optional `mslk` kernels" in markdown
    assert "mslk" in ref.loc["Int4WeightOnlyConfig(group_size=32)", "error"]
    # "every correctly calibrated int8 path keeps the accuracy" (within 2 of 360 images)
    assert "every correctly calibrated int8 path keeps the accuracy" in flat
    int8 = ref[(ref.error == "") & (ref.index != "float32")]
    assert len(int8) == 5
    assert (int8.accuracy - ref.loc["float32", "accuracy"]).abs().max() <= 2 / 360 + 1e-9


def test_the_record_is_what_the_prose_says(markdown):
    record = ch04_ptq.read_record()
    assert "qtlib/recorded/ch04_ptq.json" in markdown
    assert ch04_ptq.RECORD_PATH.as_posix().endswith("qtlib/recorded/ch04_ptq.json")
    assert "`python -m qtlib.experiments.ch04_ptq\nrecord`" in markdown
    assert record["command"] == "python -m qtlib.experiments.ch04_ptq record"
    assert "to 1e-4 relative" in markdown


def test_gptq_sits_below_rtn_at_every_size_in_the_picture(markdown, table):
    assert "GPTQ's points sit below RTN's at every size" in markdown
    s = table.set_index(["method", "bits", "group_size"])
    for bits in ch04_ptq.BITS:
        for group in (32, 64, 128, "per-channel"):
            assert s.loc[("GPTQ", bits, group), "bytes_per_weight"] == \
                s.loc[("RTN", bits, group), "bytes_per_weight"]
            assert s.loc[("GPTQ", bits, group), "perplexity"] < \
                s.loc[("RTN", bits, group), "perplexity"], (bits, group)
