"""The worker: runs ONE exercise's learner answer in a sandbox and answers the judge's requests.

Started by :mod:`qtlib.grading.judge` through :mod:`qtlib.grading.sandbox`; talks over two pipes
with :mod:`qtlib.grading.wire` messages, never over stdout (learner prints cannot forge it).
Nothing here is trusted by the judge: the learner's code runs in this process and may replace
any of it. This module only makes the honest case work.

Protocol (judge -> worker request, worker -> judge reply ``{"ok": value}`` or ``{"raised":
{"type", "msg"}}`` or ``{"notplain": "<type>"}``)::

    {"op": "setup", "prelude": str, "answer": str}      run the prelude, then the answer cell
    {"op": "describe", "names": [str]}                  per name: plain value, callable, object
    {"op": "call", "path": [str], "args": [...], "kwargs": {...}}
    {"op": "getattr", "path": [str]}
    {"op": "probe", "source": str, "args": {...}}       instructor code defining probe(ns, **args)

While serving a call, the worker may itself ask the judge about a handle (an object of the
test cell passed by reference): ``{"op": "h", "id", "do": "call|getattr|iter|next|len|getitem|
bool", ...}``, answered ``{"ok": ...}``, ``{"raised": ...}`` or ``{"stop": true}``.
"""

from __future__ import annotations

import builtins
import sys
import traceback
from typing import Any

from qtlib.grading import wire

#: Exceptions a handle operation may raise in the learner's code (others become RuntimeError).
_EXCEPTIONS = {name: getattr(builtins, name) for name in (
    "ValueError", "TypeError", "IndexError", "KeyError", "RuntimeError", "AttributeError",
    "ZeroDivisionError", "NotImplementedError", "AssertionError", "ArithmeticError",
    "LookupError", "OverflowError", "MemoryError", "StopIteration")}


class _Conn:
    def __init__(self, fd_in: int, fd_out: int) -> None:
        self.fd_in, self.fd_out = fd_in, fd_out

    def send(self, message: Any) -> None:
        wire.write_message(self.fd_out, message)

    def receive(self) -> Any:
        return wire.read_message(self.fd_in)


class JudgeObject:
    """An object of the test cell, living in the judge; every operation is done there.

    Public attribute reads, calls, iteration, ``len``, indexing and truth value are forwarded;
    names starting with ``_`` and attribute assignment are refused.
    """

    __slots__ = ("_conn", "_id", "_label")

    def __init__(self, conn: _Conn, handle: dict) -> None:
        object.__setattr__(self, "_conn", conn)
        object.__setattr__(self, "_id", handle.get("id"))
        object.__setattr__(self, "_label", str(handle.get("type", "object")))

    def _ask(self, do: str, **fields: Any) -> Any:
        import torch

        request = {"op": "h", "id": self._id, "do": do, "grad": torch.is_grad_enabled(),
                   "inference": torch.is_inference_mode_enabled(), **fields}
        self._conn.send(request)
        return _serve_until_reply(self._conn)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(f"the test's {self._label} does not share its private "
                                 f"attribute {name!r}")
        return self._ask("getattr", name=name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"the test's {self._label} cannot be modified by setting {name!r}")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._ask("call", args=_encode(list(args)), kwargs=_encode(kwargs))

    def __iter__(self) -> Any:
        return self._ask("iter")

    def __next__(self) -> Any:
        return self._ask("next")

    def __len__(self) -> int:
        return self._ask("len")

    def __getitem__(self, key: Any) -> Any:
        return self._ask("getitem", key=_encode(key))

    def __bool__(self) -> bool:
        return self._ask("bool")

    def __repr__(self) -> str:
        return f"<the test's {self._label}>"


_CONN: _Conn | None = None


def _encode(value: Any) -> Any:
    def other(obj: Any) -> Any:
        if isinstance(obj, JudgeObject):
            return {"t": "handle", "id": object.__getattribute__(obj, "_id")}
        raise wire.NotPlainData(f"a {type(obj).__module__}.{type(obj).__qualname__}")

    return wire.encode(value, other)


def _decode(value: Any) -> Any:
    return wire.decode(value, lambda handle: JudgeObject(_CONN, handle))


def _serve_until_reply(conn: _Conn) -> Any:
    """Read the judge's reply to a handle request."""
    reply = conn.receive()
    if "ok" in reply:
        return _decode(reply["ok"])
    if reply.get("stop"):
        raise StopIteration
    raised = reply.get("raised") or {}
    kind = _EXCEPTIONS.get(raised.get("type"), RuntimeError)
    raise kind(str(raised.get("msg", "")))


def _result(value: Any) -> dict:
    try:
        return {"ok": _encode(value)}
    except wire.NotPlainData as err:
        return {"notplain": str(err)}


def _raised(err: BaseException) -> dict:
    return {"raised": {"type": type(err).__name__, "msg": str(err)[:500]}}


def _resolve(namespace: dict, path: list) -> Any:
    obj = namespace[path[0]]
    for name in path[1:]:
        if name.startswith("_"):
            raise AttributeError(f"private attribute {name!r}")
        obj = getattr(obj, name)
    return obj


def _describe(namespace: dict, names: list) -> dict:
    out = {}
    for name in names:
        if name not in namespace:
            out[name] = {"kind": "missing"}
            continue
        value = namespace[name]
        try:
            out[name] = {"kind": "plain", "value": _encode(value)}
        except wire.NotPlainData:
            out[name] = {"kind": "callable" if callable(value) else "object",
                         "type": type(value).__name__}
    return out


def _handle(namespace: dict, request: dict) -> dict:
    op = request.get("op")
    try:
        if op == "setup":
            exec(compile(request["prelude"], "<prelude>", "exec"), namespace)
            exec(compile(request["answer"], "<answer cell>", "exec"), namespace)
            return {"ok": None}
        if op == "describe":
            return {"described": _describe(namespace, request["names"])}
        if op == "call":
            func = _resolve(namespace, request["path"])
            args = _decode(request["args"])
            kwargs = _decode(request["kwargs"])
            return _result(func(*args, **kwargs))
        if op == "getattr":
            value = _resolve(namespace, request["path"])
            try:
                return {"ok": _encode(value)}
            except wire.NotPlainData:
                return {"object": {"callable": callable(value), "type": type(value).__name__}}
        if op == "probe":
            scope: dict = {"__name__": "__probe__"}
            exec(compile(request["source"], "<probe>", "exec"), scope)
            return _result(scope["probe"](namespace, **_decode(request["args"])))
        return {"raised": {"type": "ValueError", "msg": f"unknown request {op!r}"}}
    except BaseException as err:  # noqa: BLE001 -- every failure of learner code is reported
        if isinstance(err, KeyboardInterrupt):
            raise
        traceback.clear_frames(err.__traceback__)
        return _raised(err)


def main(fd_in: int, fd_out: int) -> None:
    """Serve requests until the judge closes the pipe."""
    global _CONN
    _CONN = _Conn(fd_in, fd_out)
    namespace: dict = {"__name__": "__main__", "__builtins__": builtins}
    sys.argv = ["answer"]
    while True:
        try:
            request = _CONN.receive()
        except wire.ProtocolError:
            return
        reply = _handle(namespace, request)
        try:
            _CONN.send(reply)
        except wire.NotPlainData as err:  # plain, but bigger than the judge accepts
            _CONN.send(_too_large(err))


def _too_large(err: wire.NotPlainData) -> dict:
    """The reply that replaces one too big for the wire: the learner reads why, in megabytes."""
    return {"raised": {"type": "ValueError", "msg": (
        f"the grader cannot receive this value: {err}. Send less: smaller tensors, int8 "
        "instead of float32, or only what the exercise asks for")}}
