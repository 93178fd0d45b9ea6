"""Where qtlib keeps results that are slow to compute (sweeps, benchmark records).

``cache_dir()`` is ``$QTLIB_CACHE_DIR`` when set (tests point it at a temporary folder), else
``~/.cache/qtlib``. The folder is created on first use. An entry's file name is a digest of
everything that changes its value (settings, recipe, qtlib and torch versions:
:func:`json_cache_path`), so a stale entry is never read; entries are written atomically
(:func:`write_json_atomic`), so an interrupted run never leaves half a record.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any


def cache_dir() -> Path:
    """The cache folder (created if missing)."""
    path = Path(os.environ.get("QTLIB_CACHE_DIR", Path.home() / ".cache" / "qtlib"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_key(payload: Any) -> str:
    """A stable 20-hex-digit digest of a JSON-ready ``payload`` (keys sorted)."""
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def json_cache_path(namespace: str, payload: Any) -> Path:
    """``cache_dir()/<namespace>/<cache_key(payload)>.json`` (the folder is created)."""
    if not isinstance(namespace, str) or not namespace or namespace.startswith("/") \
            or ".." in namespace.split("/"):
        raise ValueError(f"namespace must be a relative folder name like 'sweeps/ch05', got "
                         f"{namespace!r}")
    folder = cache_dir() / namespace
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{cache_key(payload)}.json"


def read_json(path: Path) -> Any | None:
    """The JSON stored at ``path``, or None if it is missing or unreadable (then recompute)."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


def write_json_atomic(path: Path, data: Any) -> Path:
    """Write ``data`` as JSON to a temporary file beside ``path``, then rename it into place."""
    path = Path(path)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1))
    tmp.replace(path)
    return path
