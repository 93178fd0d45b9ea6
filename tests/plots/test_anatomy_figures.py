"""qtlib.plots.anatomy: stacked share bars and share curves, with their text alternatives."""

import pytest
from matplotlib.colors import to_hex

from qtlib.eval.anatomy import TransformerDims, breakdown, sweep
from qtlib.plots import OKABE_ITO, anatomy_bars, share_curves
from qtlib.plots.anatomy import format_count

DIMS = TransformerDims(dim=384, depth=6, num_heads=12, ffn_dim=1536, seq_len=128,
                       vocab_size=30522, max_positions=512, type_vocab_size=2, name="MiniLM")


def test_bars_span_100_percent_and_describe_the_shares():
    fig, text = anatomy_bars(breakdown(DIMS, weight_bits=8))
    ax = fig.axes[0]
    widths = {}
    for patch in ax.patches:
        y = round(patch.get_y() + patch.get_height() / 2)
        widths[y] = widths.get(y, 0) + patch.get_width()
    assert sorted(widths) == [0, 1, 2] and all(w == pytest.approx(100) for w in widths.values())
    assert {to_hex(p.get_facecolor()) for p in ax.patches} <= {c.lower() for c in OKABE_ITO}
    assert ax.get_xlabel() == "share of the total (%)"
    assert "parameters, total 22.6 M parameters: embeddings 53%" in text
    assert "FLOPs per forward, total 2.87 GFLOP" in text and "feed-forward (FFN) 63%" in text
    assert "weight bytes (8-bit weights)" in text and "T = 128 tokens" in text


def test_bars_of_several_models_and_errors():
    small = DIMS.replace(dim=64, depth=2, num_heads=4, ffn_dim=256, name="small")
    fig, text = anatomy_bars([breakdown(DIMS), breakdown(small)], ["params"])
    assert len(fig.axes[0].get_yticklabels()) == 2 and "small: parameters" in text
    with pytest.raises(ValueError, match="metrics"):
        anatomy_bars(breakdown(DIMS), ["time"])
    with pytest.raises(TypeError, match="Breakdown"):
        anatomy_bars([DIMS])


def test_share_curves_name_the_crossover():
    frame = sweep(DIMS, "seq_len", [128, 512, 2048, 8192])
    fig, text = share_curves(frame)
    assert "log scale" in fig.axes[0].get_xlabel()
    assert "feed-forward (FFN) leads from seq_len = 128" in text
    assert "attention scores (QK^T, AV) leads from seq_len = 2048" in text
    with pytest.raises(ValueError, match="two rows"):
        share_curves(frame.iloc[:1])


def test_format_count():
    assert format_count(22_565_376, "params") == "22.6 M parameters"
    assert format_count(650, "params") == "650 parameters"
    assert format_count(2.87e9, "flops") == "2.87 GFLOP"
    assert format_count(3_000_000, "bytes") == "3 MB"
