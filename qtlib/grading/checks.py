"""Checks that hidden (and visible) tests use: a failure says what is wrong and gives a hint.

Every ``check_*`` returns ``None`` when the value passes and otherwise raises
:class:`CheckFailed` (an ``AssertionError``, so nbgrader scores the cell 0) with a message of the
form ``"<name> is wrong: <what>. Hint: <hint>"``. The message never contains the expected value or
the test's code, and the helper's own frames are hidden from IPython and pytest tracebacks
(``__tracebackhide__``), so a learner sees one short sentence and the hint.

Example (a hidden test cell)::

    from qtlib.grading.checks import check_close, check_type
    check_type(size_bytes, int, name="size_bytes", hint="multiply numel() by 4 bytes")
    check_close(size_bytes, expected, name="size_bytes", hint="float32 takes 4 bytes per value")

This module imports only the standard library, so hidden tests stay cheap. It is the learner-side
half of :mod:`qtlib.grading`: the same functions run in a learner's kernel (Validate) and in the
judge (:mod:`qtlib.grading.judge`), where the judge's own copy is out of the learner's reach.
Driving nbgrader (release, registration, gradebook) lives in :mod:`qtlib.grading.pipeline`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any, NoReturn

__all__ = [
    "CheckFailed",
    "check_callable_behaviour",
    "check_close",
    "check_equal",
    "check_raises",
    "check_shape",
    "check_true",
    "check_type",
]


class CheckFailed(AssertionError):
    """A check did not pass; ``str(err)`` is the learner-facing sentence plus the hint."""


def _fail(name: str, what: str, hint: str | None) -> NoReturn:
    __tracebackhide__ = True
    message = f"{name} is wrong: {what}."
    if hint:
        message += f" Hint: {hint}"
    # `from None`: the learner sees this sentence, not a chain of internal exceptions.
    raise CheckFailed(message) from None


def _require_name(name: Any) -> str:
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty str naming the checked value, got {name!r}")
    return name


def _is_tensor(value: Any) -> bool:
    return type(value).__module__.startswith("torch") and hasattr(value, "detach")


def _as_float_list(value: Any) -> list[float] | None:
    """Flatten a number, sequence, numpy array or tensor into floats (None if not numeric)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return [float(value)]
    if _is_tensor(value):
        if value.is_complex():
            return None
        return [float(v) for v in value.detach().to("cpu").double().reshape(-1).tolist()]
    if hasattr(value, "tolist") and hasattr(value, "shape"):  # numpy array or scalar
        flat = value.tolist()
        return _as_float_list(flat) if isinstance(flat, list) else _as_float_list(flat)
    if isinstance(value, list | tuple):
        out: list[float] = []
        for item in value:
            sub = _as_float_list(item)
            if sub is None:
                return None
            out.extend(sub)
        return out
    return None


def _shape_of(value: Any) -> tuple[int, ...] | None:
    shape = getattr(value, "shape", None)
    if shape is None:
        return None
    return tuple(int(s) for s in shape)


def check_true(condition: Any, *, name: str, what: str, hint: str | None = None) -> None:
    """Pass when ``bool(condition)`` is true; otherwise report ``what`` about ``name``."""
    __tracebackhide__ = True
    _require_name(name)
    if not condition:
        _fail(name, what, hint)


def check_type(value: Any, expected_type: type | tuple[type, ...], *, name: str,
               hint: str | None = None) -> None:
    """Pass when ``isinstance(value, expected_type)``. ``bool`` never passes for ``int``."""
    __tracebackhide__ = True
    _require_name(name)
    if not isinstance(expected_type, type | tuple):
        raise TypeError(f"expected_type must be a type or a tuple of types, got {expected_type!r}")
    types = expected_type if isinstance(expected_type, tuple) else (expected_type,)
    ok = isinstance(value, types)
    if ok and isinstance(value, bool) and bool not in types:
        ok = False
    if not ok:
        wanted = " or ".join(t.__name__ for t in types)
        _fail(name, f"it should be a {wanted} but it is a {type(value).__name__}", hint)


def check_shape(value: Any, expected_shape: Iterable[int], *, name: str,
                hint: str | None = None) -> None:
    """Pass when ``tuple(value.shape) == tuple(expected_shape)`` (tensors and arrays).

    The shape is not secret (the exercise states it), so the message shows both shapes.
    """
    __tracebackhide__ = True
    _require_name(name)
    expected = tuple(int(s) for s in expected_shape)
    shape = _shape_of(value)
    if shape is None:
        _fail(name, f"it should be a tensor or array but it is a {type(value).__name__}", hint)
    if shape != expected:
        _fail(name, f"its shape is {shape}, the exercise asks for {expected}", hint)


def check_equal(value: Any, expected: Any, *, name: str, hint: str | None = None) -> None:
    """Pass when ``value == expected`` (element-wise for tensors and arrays, same shape).

    The message says whether the type, the shape or the values differ, never the expected value.
    """
    __tracebackhide__ = True
    _require_name(name)
    if _shape_of(expected) is not None:
        shape = _shape_of(value)
        if shape is None:
            _fail(name, f"it should be a tensor or array but it is a {type(value).__name__}", hint)
        if shape != _shape_of(expected):
            _fail(name, f"its shape {shape} is not the expected shape", hint)
        expected_dtype = getattr(expected, "dtype", None)
        if _is_tensor(expected) and _is_tensor(value) and value.dtype != expected_dtype:
            _fail(name, f"its dtype is {value.dtype}, not the dtype the exercise asks for", hint)
        a, b = _as_float_list(value), _as_float_list(expected)
        if a is None or b is None:
            _fail(name, "its values cannot be compared as numbers", hint)
        wrong = sum(1 for x, y in zip(a, b, strict=True) if x != y)
        if wrong:
            _fail(name, f"{wrong} of its {len(a)} values are not the expected ones", hint)
        return
    if isinstance(expected, bool) != isinstance(value, bool) and isinstance(
            expected, int | bool):
        _fail(name, f"it should be a {type(expected).__name__} but it is a "
                    f"{type(value).__name__}", hint)
    try:
        equal = bool(value == expected)
    except Exception:  # comparing a tensor of several values, or an odd object
        equal = False
    if not equal:
        _fail(name, "its value is not the expected one", hint)


def check_close(value: Any, expected: Any, *, name: str, hint: str | None = None,
                rtol: float = 1e-5, atol: float = 1e-8) -> None:
    """Pass when every value satisfies ``|value - expected| <= atol + rtol * |expected|``.

    ``value`` and ``expected`` may be numbers, sequences, numpy arrays or tensors of the same
    shape. NaN never passes. The message gives how many values are off and by how much relative
    to the tolerance, never the expected values.
    """
    __tracebackhide__ = True
    _require_name(name)
    if not (isinstance(rtol, int | float) and isinstance(atol, int | float)) or rtol < 0 \
            or atol < 0:
        raise ValueError(f"rtol and atol must be non-negative numbers, got rtol={rtol!r}, "
                         f"atol={atol!r}")
    b = _as_float_list(expected)
    if b is None:
        raise TypeError(f"expected must be a number, sequence, array or tensor, got "
                        f"{type(expected).__name__}")
    if value is None:
        _fail(name, "it is None (did the cell forget to return or assign a value?)", hint)
    a = _as_float_list(value)
    if a is None:
        _fail(name, f"it should be a number or a tensor but it is a {type(value).__name__}",
              hint)
    exp_shape, got_shape = _shape_of(expected), _shape_of(value)
    if exp_shape is not None and got_shape is not None and exp_shape != got_shape:
        _fail(name, f"its shape {got_shape} is not the expected shape", hint)
    if len(a) != len(b):
        _fail(name, f"it has {len(a)} values, the expected answer has {len(b)}", hint)
    bad = 0
    for x, y in zip(a, b, strict=True):
        if math.isnan(x) or not (abs(x - y) <= atol + rtol * abs(y)):
            bad += 1
    if bad:
        what = "its value is off" if len(a) == 1 else f"{bad} of its {len(a)} values are off"
        _fail(name, f"{what} by more than the tolerance", hint)


def check_raises(func: Callable[..., Any], args: tuple = (), kwargs: dict | None = None, *,
                 exception: type[BaseException] | tuple[type[BaseException], ...] = ValueError,
                 name: str, hint: str | None = None, match: str | None = None) -> None:
    """Pass when ``func(*args, **kwargs)`` raises ``exception`` whose text contains ``match``."""
    __tracebackhide__ = True
    _require_name(name)
    if not callable(func):
        _fail(name, f"it should be a function but it is a {type(func).__name__}", hint)
    kinds = exception if isinstance(exception, tuple) else (exception,)
    wanted = " or ".join(k.__name__ for k in kinds)
    try:
        func(*args, **(kwargs or {}))
    except kinds as err:
        if match is not None and match.lower() not in str(err).lower():
            _fail(name, f"it raised {type(err).__name__} but the message does not say what "
                        f"is wrong with the input", hint)
        return
    except Exception as err:  # any other exception is the learner's bug
        _fail(name, f"it raised {type(err).__name__} where {wanted} was expected", hint)
    _fail(name, f"it returned normally on invalid input, it should raise {wanted}", hint)


def check_callable_behaviour(func: Callable[..., Any], cases: Iterable[tuple[tuple, Any]], *,
                             name: str, hint: str | None = None, rtol: float = 0.0,
                             atol: float = 0.0) -> None:
    """Call ``func(*args)`` for each ``(args, expected)`` case and compare with ``check_close``
    (or ``check_equal`` for non-numeric results).

    A failure names the case number (1-based) but not its arguments or expected result; an
    exception raised by ``func`` is reported by its type.
    """
    __tracebackhide__ = True
    _require_name(name)
    if not callable(func):
        _fail(name, f"it should be a function but it is a {type(func).__name__}", hint)
    for k, (args, expected) in enumerate(cases, start=1):
        label = f"{name} (test case {k})"
        try:
            got = func(*args)
        except Exception as err:  # the learner's bug, reported without frames
            _fail(label, f"calling it raised {type(err).__name__}: {str(err)[:120]}", hint)
        if _as_float_list(expected) is not None and not isinstance(expected, bool):
            check_close(got, expected, name=label, hint=hint, rtol=rtol, atol=atol)
        else:
            check_equal(got, expected, name=label, hint=hint)
