"""The judge <-> worker wire: length-prefixed JSON messages and a codec of plain data only.

Both processes import this module, but only the JUDGE's copy matters: the worker runs learner
code, which may replace anything in its own process and write any bytes to the pipe. So every
message the judge reads is untrusted input: :func:`read_message` caps its size and :func:`decode`
accepts nothing but plain data, never pickles, never imports or calls anything named in the
message.

Plain data (both directions): ``None``, ``bool``, ``int``, ``float``, ``str``, ``bytes``,
``list``, ``tuple``, ``dict`` (and ``OrderedDict`` with its ``_metadata``, as ``state_dict()``
returns), ``torch.Tensor`` (a subclass is sent as a plain tensor) and ``torch.dtype`` /
``torch.Size``, numpy arrays and scalars, pandas ``DataFrame`` / ``Series``. Dtypes come from the
allow-lists below. Anything else is encoded by ``on_other`` (the judge turns it into a handle;
the worker refuses it with :class:`NotPlainData`).
"""

from __future__ import annotations

import base64
import json
import os
import select
import struct
import sys
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

#: Largest message either side accepts (bytes of JSON). Larger ones are a protocol error.
MAX_MESSAGE = 64 * 2**20
#: Deepest nesting of containers decoded; more is a protocol error.
MAX_DEPTH = 40
TENSOR_DTYPES = ("float16", "bfloat16", "float32", "float64", "int8", "int16", "int32",
                 "int64", "uint8", "bool", "complex64", "complex128")
NUMPY_DTYPES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                "uint64", "float16", "float32", "float64", "complex64", "complex128")
_HEADER = struct.Struct(">I")


class ProtocolError(Exception):
    """A message broke the protocol: too big, not JSON, not plain data, or the peer is gone."""


class NotPlainData(TypeError):
    """A value cannot be sent as plain data (``str(err)`` names its type)."""


class WireTimeout(Exception):
    """No complete message arrived before the deadline."""


# --- framing -------------------------------------------------------------------------------------

def write_message(fd: int, message: Any) -> None:
    """Write one JSON message (length-prefixed) to file descriptor ``fd``."""
    data = json.dumps(message, separators=(",", ":")).encode()
    if len(data) > MAX_MESSAGE:
        raise NotPlainData(f"a message of {len(data) / 1e6:.1f} MB once encoded, more than the "
                           f"{MAX_MESSAGE / 1e6:.0f} MB allowed")
    payload = _HEADER.pack(len(data)) + data
    view = memoryview(payload)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _read_exactly(fd: int, n: int, deadline: float | None) -> bytes:
    chunks, got = [], 0
    while got < n:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise WireTimeout("no answer before the deadline")
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                raise WireTimeout("no answer before the deadline")
        chunk = os.read(fd, min(n - got, 1 << 20))
        if not chunk:
            raise ProtocolError("the other process closed the pipe")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def read_message(fd: int, deadline: float | None = None) -> Any:
    """Read one message from ``fd``; ``deadline`` is a ``time.monotonic()`` time or None."""
    (size,) = _HEADER.unpack(_read_exactly(fd, _HEADER.size, deadline))
    if size > MAX_MESSAGE:
        raise ProtocolError(f"a message of {size} bytes, more than the {MAX_MESSAGE} allowed")
    try:
        return json.loads(_read_exactly(fd, size, deadline))
    except (ValueError, RecursionError) as err:
        raise ProtocolError(f"a message that is not valid JSON ({type(err).__name__})") from None


# --- encoding ------------------------------------------------------------------------------------

def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _tensor_bytes(t: Any) -> bytes:
    import torch

    t = t.detach().to("cpu").contiguous()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    return t.numpy().tobytes()


def encode(value: Any, on_other: Callable[[Any], Any] | None = None, _depth: int = 0) -> Any:
    """``value`` as JSON-able plain data; ``on_other(obj)`` encodes anything else (or raises).

    Without ``on_other``, a value that is not plain data raises :class:`NotPlainData`.
    """
    if _depth > MAX_DEPTH:
        raise NotPlainData("a structure nested too deeply")
    t = type(value)
    if value is None or t is bool or t is str:
        return value
    if t is int:
        return value
    if t is float:
        return value
    if t is bytes:
        return {"t": "bytes", "b": _b64(value)}
    if t in (list, tuple):
        return {"t": t.__name__, "v": [encode(v, on_other, _depth + 1) for v in value]}
    if t in (dict, OrderedDict):
        out = {"t": "dict" if t is dict else "odict",
               "k": [encode(k, on_other, _depth + 1) for k in value],
               "v": [encode(v, on_other, _depth + 1) for v in value.values()]}
        meta = getattr(value, "_metadata", None)
        if t is OrderedDict and isinstance(meta, dict):
            out["meta"] = encode(meta, on_other, _depth + 1)
        return out
    torch = sys.modules.get("torch")
    if torch is not None:
        if isinstance(value, torch.Tensor):  # a subclass too: sent as a plain tensor
            if value.is_quantized or value.is_sparse or value.layout != torch.strided:
                raise NotPlainData(f"a {value.dtype} tensor with layout {value.layout}")
            tensor = value.as_subclass(torch.Tensor) if t is not torch.Tensor else value
            dtype = str(tensor.dtype).removeprefix("torch.")
            if dtype not in TENSOR_DTYPES:
                raise NotPlainData(f"a tensor of dtype {tensor.dtype}")
            return {"t": "tensor", "dtype": dtype, "shape": list(tensor.shape),
                    "rg": bool(tensor.requires_grad), "b": _b64(_tensor_bytes(tensor))}
        if t is torch.dtype:
            return {"t": "tdtype", "v": str(value).removeprefix("torch.")}
        if t is torch.Size:
            return {"t": "size", "v": [int(s) for s in value]}
    np = sys.modules.get("numpy")
    if np is not None:
        if isinstance(value, np.ndarray | np.generic) and value.dtype.name in NUMPY_DTYPES:
            arr = np.ascontiguousarray(np.asarray(value))
            kind = "ndarray" if isinstance(value, np.ndarray) else "npscalar"
            return {"t": kind, "dtype": arr.dtype.name, "shape": list(arr.shape),
                    "b": _b64(arr.astype(arr.dtype.newbyteorder("<")).tobytes())}
    pd = sys.modules.get("pandas")
    if pd is not None:
        if t is pd.DataFrame:
            return {"t": "df", "cols": [encode(c, on_other, _depth + 1) for c in value.columns],
                    "data": [_encode_column(value.iloc[:, i], on_other, _depth)
                             for i in range(value.shape[1])],
                    "index": _encode_column(value.index, on_other, _depth)}
        if t is pd.Series:
            return {"t": "series", "name": encode(value.name, on_other, _depth + 1),
                    "data": _encode_column(value, on_other, _depth),
                    "index": _encode_column(value.index, on_other, _depth)}
    if on_other is None:
        raise NotPlainData(f"a {t.__module__}.{t.__qualname__}")
    return on_other(value)


def _encode_column(column: Any, on_other: Any, depth: int) -> Any:
    import numpy as np

    values = column.to_numpy() if hasattr(column, "to_numpy") else np.asarray(column)
    if values.dtype.name in NUMPY_DTYPES:
        return encode(values, on_other, depth + 1)
    return encode([v.item() if isinstance(v, np.generic) else v for v in values.tolist()],
                  on_other, depth + 1)


# --- decoding (the judge's side of trust) --------------------------------------------------------

def _bytes(text: Any) -> bytes:
    if not isinstance(text, str):
        raise ProtocolError("binary data must be base64 text")
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        raise ProtocolError("binary data is not valid base64") from None


def _shape(shape: Any) -> tuple[int, ...]:
    if not isinstance(shape, list) or len(shape) > 16 or not all(
            type(s) is int and 0 <= s < 2**40 for s in shape):
        raise ProtocolError("a shape must be a short list of non-negative ints")
    return tuple(shape)


def decode(data: Any, on_handle: Callable[[dict], Any] | None = None, _depth: int = 0) -> Any:
    """Rebuild plain data from :func:`encode`'s output; ``on_handle(tag)`` resolves handles.

    Raises :class:`ProtocolError` on anything that is not exactly plain data of the allow-lists.
    """
    if _depth > MAX_DEPTH:
        raise ProtocolError("a structure nested too deeply")
    if data is None or type(data) in (bool, int, float, str):
        return data
    if type(data) is not dict or type(data.get("t")) is not str:
        raise ProtocolError(f"not an encoded value: a JSON {type(data).__name__}")
    kind = data["t"]
    if kind in ("list", "tuple"):
        items = data.get("v")
        if type(items) is not list:
            raise ProtocolError("a list must carry a list")
        out = [decode(v, on_handle, _depth + 1) for v in items]
        return out if kind == "list" else tuple(out)
    if kind in ("dict", "odict"):
        keys, values = data.get("k"), data.get("v")
        if type(keys) is not list or type(values) is not list or len(keys) != len(values):
            raise ProtocolError("a dict must carry as many keys as values")
        result: dict = {} if kind == "dict" else OrderedDict()
        for k, v in zip(keys, values, strict=True):
            key = decode(k, on_handle, _depth + 1)
            if not isinstance(key, str | int | float | bool | tuple | type(None)):
                raise ProtocolError("a dict key must be a str, number, bool, None or tuple")
            if type(key) is str:
                key = sys.intern(key)  # equal keys are one object, as in the sender (pickle memo)
            result[key] = decode(v, on_handle, _depth + 1)
        if kind == "odict" and "meta" in data:
            meta = decode(data["meta"], on_handle, _depth + 1)
            if not isinstance(meta, dict):
                raise ProtocolError("an OrderedDict's metadata must be a dict")
            result._metadata = meta  # type: ignore[attr-defined]  # what state_dict() carries
        return result
    if kind == "bytes":
        return _bytes(data.get("b"))
    if kind == "tensor":
        return _decode_tensor(data)
    if kind == "tdtype":
        import torch

        if data.get("v") not in TENSOR_DTYPES:
            raise ProtocolError("a torch dtype outside the allow-list")
        return getattr(torch, data["v"])
    if kind == "size":
        import torch

        return torch.Size(_shape(data.get("v")))
    if kind in ("ndarray", "npscalar"):
        import numpy as np

        if data.get("dtype") not in NUMPY_DTYPES:
            raise ProtocolError("a numpy dtype outside the allow-list")
        dtype = np.dtype(data["dtype"]).newbyteorder("<")
        shape = _shape(data.get("shape"))
        raw = _bytes(data.get("b"))
        count = 1
        for s in shape:
            count *= s
        if len(raw) != count * dtype.itemsize:
            raise ProtocolError("an array's bytes do not match its shape and dtype")
        arr = np.frombuffer(raw, dtype=dtype).astype(np.dtype(data["dtype"])).reshape(shape)
        return arr.copy() if kind == "ndarray" else arr.reshape(())[()]
    if kind in ("df", "series"):
        return _decode_pandas(data, on_handle, _depth)
    if kind == "handle":
        if on_handle is None:
            raise ProtocolError("a handle where only plain data is allowed")
        return on_handle(data)
    raise ProtocolError(f"an unknown kind of value {kind[:40]!r}")


def _decode_tensor(data: dict) -> Any:
    import torch

    dtype_name = data.get("dtype")
    if dtype_name not in TENSOR_DTYPES:
        raise ProtocolError("a tensor dtype outside the allow-list")
    dtype = getattr(torch, dtype_name)
    shape = _shape(data.get("shape"))
    raw = _bytes(data.get("b"))
    itemsize = torch.empty((), dtype=dtype).element_size()
    count = 1
    for s in shape:
        count *= s
    if len(raw) != count * itemsize:
        raise ProtocolError("a tensor's bytes do not match its shape and dtype")
    if count == 0:
        out = torch.empty(shape, dtype=dtype)
    else:
        view_as = torch.int16 if dtype == torch.bfloat16 else dtype
        out = torch.frombuffer(bytearray(raw), dtype=view_as).view(dtype).reshape(shape).clone()
    if data.get("rg") is True and out.is_floating_point():
        out.requires_grad_(True)
    return out


def _decode_pandas(data: dict, on_handle: Any, depth: int) -> Any:
    import numpy as np
    import pandas as pd

    def column(c: Any) -> Any:
        value = decode(c, None, depth + 1)
        if isinstance(value, np.ndarray):
            return value
        if isinstance(value, list) and all(
                v is None or type(v) in (bool, int, float, str) for v in value):
            return np.array(value, dtype=object)
        raise ProtocolError("a column must be an array or a list of plain scalars")

    index = column(data.get("index"))
    if data["t"] == "series":
        name = decode(data.get("name"), None, depth + 1)
        if not isinstance(name, str | int | float | type(None)):
            raise ProtocolError("a Series name must be a str, number or None")
        values = column(data.get("data"))
        if len(values) != len(index):
            raise ProtocolError("a Series's index and values differ in length")
        return pd.Series(values, index=pd.Index(index), name=name)
    cols, columns = data.get("cols"), data.get("data")
    if type(cols) is not list or type(columns) is not list or len(cols) != len(columns):
        raise ProtocolError("a DataFrame must carry as many names as columns")
    names = [decode(c, None, depth + 1) for c in cols]
    if not all(isinstance(n, str | int) for n in names):
        raise ProtocolError("DataFrame column names must be str or int")
    arrays = [column(c) for c in columns]
    if any(len(a) != len(index) for a in arrays):
        raise ProtocolError("a DataFrame's columns differ in length")
    return pd.DataFrame(dict(zip(names, arrays, strict=True)), index=pd.Index(index))
