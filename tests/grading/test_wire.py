"""The judge's decoder accepts plain data only; the answer-name parser; the checks' new home."""

from collections import OrderedDict

import numpy as np
import pandas as pd
import pytest
import torch

import qtlib.grading as grading
from qtlib.grading import checks, wire
from qtlib.grading.exercises import defined_names


def _roundtrip(value):
    return wire.decode(wire.encode(value))


def test_plain_data_survives_the_wire():
    t = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    got = _roundtrip({"a": [1, 2.5, None, True, "s", b"\x00"], "t": t, "d": torch.int8,
                      "s": torch.Size([2, 3]), "n": np.arange(4, dtype=np.int16),
                      "x": np.float64(1.5), "k": (1, 2)})
    assert torch.equal(got["t"], t) and got["t"].dtype == torch.float32
    assert got["a"] == [1, 2.5, None, True, "s", b"\x00"] and got["k"] == (1, 2)
    assert got["d"] is torch.int8 and got["s"] == torch.Size([2, 3])
    assert got["n"].dtype == np.int16 and got["n"].tolist() == [0, 1, 2, 3]
    assert isinstance(got["x"], np.float64) and got["x"] == 1.5
    bf = torch.tensor([1.5, -2.0], dtype=torch.bfloat16)
    assert torch.equal(_roundtrip(bf), bf)
    assert _roundtrip(torch.empty(0, 3)).shape == (0, 3)
    df = pd.DataFrame({"recipe": ["a", "b"], "size_mb": [1.0, 2.0]}, index=[3, 7])
    pd.testing.assert_frame_equal(_roundtrip(df), df)
    series = pd.Series([1, 2], name="n")
    pd.testing.assert_series_equal(_roundtrip(series), series)


def test_a_state_dict_keeps_its_order_and_metadata():
    sd = torch.nn.Linear(3, 2).state_dict()
    got = _roundtrip(sd)
    assert isinstance(got, OrderedDict) and list(got) == list(sd)
    assert got._metadata == sd._metadata


def test_subclasses_and_objects_are_not_plain_data():
    class Yes(int):
        def __eq__(self, other):
            return True

    class Liar(torch.Tensor):
        pass

    with pytest.raises(wire.NotPlainData, match="Yes"):
        wire.encode(Yes(3))
    with pytest.raises(wire.NotPlainData, match="generator"):
        wire.encode(x for x in [])
    sent = wire.encode(torch.ones(2).as_subclass(Liar))
    assert type(wire.decode(sent)) is torch.Tensor


@pytest.mark.parametrize("message, match", [
    ({"t": "pickle", "b": ""}, "unknown kind"),
    ({"t": "tensor", "dtype": "float32", "shape": [4], "b": "AAAA"}, "do not match"),
    ({"t": "tensor", "dtype": "object", "shape": [1], "b": ""}, "allow-list"),
    ({"t": "ndarray", "dtype": "object", "shape": [1], "b": ""}, "allow-list"),
    ({"t": "tensor", "dtype": "float32", "shape": [-1], "b": ""}, "shape"),
    ({"t": "bytes", "b": "%%%"}, "base64"),
    ({"t": "handle", "id": 1}, "handle"),
    ({"t": "dict", "k": [{"t": "list", "v": []}], "v": [1]}, "key"),
    ([1, 2], "not an encoded value"),
])
def test_the_decoder_refuses_anything_else(message, match):
    with pytest.raises(wire.ProtocolError, match=match):
        wire.decode(message)


def test_nesting_and_size_are_capped(tmp_path):
    deep = 1
    for _ in range(wire.MAX_DEPTH + 5):
        deep = {"t": "list", "v": [deep]}
    with pytest.raises(wire.ProtocolError, match="nested"):
        wire.decode(deep)
    import os

    r, w = os.pipe()
    os.write(w, (wire.MAX_MESSAGE + 1).to_bytes(4, "big"))
    with pytest.raises(wire.ProtocolError, match="more than"):
        wire.read_message(r)
    os.close(r)
    os.close(w)


def test_defined_names_are_the_answer_cells_top_level_definitions():
    source = ("import torch\nfrom math import floor\n\nX = 3\na, (b, c) = 1, (2, 3)\n"
              "n: int = 4\n\ndef f(x):\n    y = 2\n    return x\n\nclass K:\n    pass\n")
    assert defined_names(source) == ("X", "a", "b", "c", "n", "f", "K")


def test_the_checks_live_in_their_own_module_and_are_re_exported():
    assert checks.check_close is grading.check_close
    assert checks.CheckFailed is grading.CheckFailed
    assert set(grading.__all__) == set(checks.__all__)


def test_grading_imports_no_other_qtlib_package():
    """qtlib.grading is the top layer: it depends on no other qtlib package (qtlib.utils aside)."""
    import ast
    from pathlib import Path

    bad = []
    for path in sorted(Path(grading.__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            bad += [f"{path.name}: {n}" for n in names if n.startswith("qtlib")
                    and not n.startswith(("qtlib.grading", "qtlib.utils"))]
    assert bad == []
