"""qtlib.grading's checks: pass on right values, fail with one sentence + hint, never the answer."""

import numpy as np
import pytest
import torch

from qtlib.grading import (
    CheckFailed,
    check_callable_behaviour,
    check_close,
    check_equal,
    check_raises,
    check_shape,
    check_true,
    check_type,
)

SECRET = 1234.5678


def _message(excinfo) -> str:
    return str(excinfo.value)


def test_check_close_passes_within_tolerance_and_accepts_tensors_arrays_lists():
    check_close(1.0 + 1e-9, 1.0, name="x")
    check_close(torch.tensor([1.0, 2.0]), [1.0, 2.0], name="t")
    check_close(np.array([[1.0], [2.0]]), torch.tensor([[1.0], [2.0]]), name="a")
    check_close(10.5, 10.0, name="x", atol=0.5, rtol=0.0)


def test_check_close_failure_says_what_and_hint_but_not_the_expected_value():
    with pytest.raises(CheckFailed) as excinfo:
        check_close(SECRET + 1.0, SECRET, name="size_bytes", hint="multiply by 4")
    msg = _message(excinfo)
    assert isinstance(excinfo.value, AssertionError)
    assert msg.startswith("size_bytes is wrong:")
    assert msg.endswith("Hint: multiply by 4")
    assert "1234" not in msg and "1235" not in msg
    assert excinfo.value.__cause__ is None and excinfo.value.__suppress_context__


@pytest.mark.parametrize("value, fragment", [
    (None, "None"),
    ("3", "str"),
    ([1.0, 2.0], "2 values"),
    (float("nan"), "off"),
    (torch.zeros(2, 2), "shape"),
])
def test_check_close_explains_each_kind_of_mismatch(value, fragment):
    with pytest.raises(CheckFailed, match=fragment):
        check_close(value, torch.zeros(4), name="v") if fragment == "shape" else check_close(
            value, 0.0, name="v")


def test_check_close_counts_wrong_values():
    with pytest.raises(CheckFailed, match="2 of its 4 values are off"):
        check_close(torch.tensor([0.0, 1.0, 2.0, 9.0]), [0.0, 1.0, 3.0, 3.0], name="q")


def test_check_close_rejects_bad_tolerances_and_expected_values():
    with pytest.raises(ValueError, match="rtol and atol"):
        check_close(1.0, 1.0, name="x", rtol=-1)
    with pytest.raises(TypeError, match="expected must be"):
        check_close(1.0, "one", name="x")
    with pytest.raises(TypeError, match="name must be"):
        check_close(1.0, 1.0, name="")


def test_check_equal_scalars_tensors_and_types():
    check_equal(40, 40, name="n")
    check_equal(torch.tensor([1, 2], dtype=torch.int8), torch.tensor([1, 2], dtype=torch.int8),
                name="q")
    with pytest.raises(CheckFailed, match="value is not the expected one") as excinfo:
        check_equal(39, 40, name="n")
    assert "40" not in _message(excinfo)
    with pytest.raises(CheckFailed, match="dtype"):
        check_equal(torch.tensor([1, 2]), torch.tensor([1, 2], dtype=torch.int8), name="q")
    with pytest.raises(CheckFailed, match="1 of its 2 values"):
        check_equal(torch.tensor([1, 3]), torch.tensor([1, 2]), name="q")
    with pytest.raises(CheckFailed, match="shape"):
        check_equal(torch.tensor([1, 2, 3]), torch.tensor([1, 2]), name="q")
    with pytest.raises(CheckFailed, match="should be a int but it is a bool"):
        check_equal(True, 1, name="flag")


def test_check_type_and_shape():
    check_type(3, int, name="n")
    check_type(3.0, (int, float), name="x")
    with pytest.raises(CheckFailed, match="should be a int but it is a float"):
        check_type(3.0, int, name="n", hint="use int()")
    with pytest.raises(CheckFailed, match="bool"):
        check_type(True, int, name="n")
    with pytest.raises(TypeError, match="expected_type"):
        check_type(3, "int", name="n")
    check_shape(torch.zeros(2, 3), (2, 3), name="t")
    with pytest.raises(CheckFailed, match=r"\(3, 2\).*\(2, 3\)"):
        check_shape(torch.zeros(3, 2), (2, 3), name="t")
    with pytest.raises(CheckFailed, match="tensor or array"):
        check_shape([1, 2], (2,), name="t")


def test_check_raises():
    def strict(x):
        if x < 0:
            raise ValueError("x must be >= 0")
        return x

    check_raises(strict, (-1,), name="strict", match="x must")
    with pytest.raises(CheckFailed, match="returned normally"):
        check_raises(strict, (1,), name="strict")
    with pytest.raises(CheckFailed, match="raised ZeroDivisionError where ValueError"):
        check_raises(lambda: 1 / 0, name="f")
    with pytest.raises(CheckFailed, match="message does not say"):
        check_raises(strict, (-1,), name="strict", match="num_bits")


def test_check_callable_behaviour_names_case_not_arguments():
    def add_one(x):
        return x + 1 if x != SECRET else 0

    check_callable_behaviour(add_one, [((1,), 2), ((2,), 3)], name="add_one")
    with pytest.raises(CheckFailed, match=r"add_one \(test case 3\) is wrong") as excinfo:
        check_callable_behaviour(add_one, [((1,), 2), ((2,), 3), ((SECRET,), SECRET + 1)],
                                 name="add_one", hint="add one")
    assert "1234" not in _message(excinfo) and "1235" not in _message(excinfo)
    with pytest.raises(CheckFailed, match="raised ZeroDivisionError"):
        check_callable_behaviour(lambda x: 1 / x, [((0,), 1.0)], name="inv")
    with pytest.raises(CheckFailed, match="should be a function"):
        check_callable_behaviour(3, [], name="f")


def test_check_true():
    check_true(1 < 2, name="order", what="unused")
    with pytest.raises(CheckFailed, match="order is wrong: warm-up missing. Hint: call it once"):
        check_true(False, name="order", what="warm-up missing", hint="call it once")


def test_helper_frames_are_hidden_from_ipython_tracebacks():
    import sys

    try:
        check_close(2.0, 1.0, name="x")
    except CheckFailed:
        tb = sys.exc_info()[2]
    frames = []
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    helper_frames = [f for f in frames if "qtlib/grading" in f.f_code.co_filename]
    assert helper_frames, "the failure should come from qtlib.grading"
    assert all(f.f_locals.get("__tracebackhide__") for f in helper_frames)
