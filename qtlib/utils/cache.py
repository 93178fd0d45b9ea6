"""Where qtlib keeps results that are slow to compute (sweeps, benchmark records).

``cache_dir()`` is ``$QTLIB_CACHE_DIR`` when set (tests point it at a temporary folder), else
``~/.cache/qtlib``. The folder is created on first use. An entry's file name is a digest of
everything that changes its value (settings, recipe, qtlib and torch versions:
:func:`json_cache_path`), so a stale entry is never read; entries are written atomically
(:func:`write_json_atomic`), so an interrupted run never leaves half a record.

Recorded results: a chapter whose sweep takes minutes ships the entries its notebook reads in
``qtlib/recorded/<namespace>/`` (same names, same content: :func:`record_cache`, run by
``make record``). :func:`read_cached` looks in the cache first, then in the record, so a learner's
first run reads the recorded figures and measures only points nobody recorded; ``use_cache=False``
always measures. A recorded entry is keyed by the same settings and library versions as a cached
one, so a record made with another torch or qtlib version is never read. ``QTLIB_IGNORE_RECORDED=1``
makes :func:`read_cached` ignore the record (making a new one measures everything).
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


#: Recorded entries shipped inside the package (package data), laid out like ``cache_dir()``.
RECORDED_DIR = Path(__file__).resolve().parents[1] / "recorded"


def read_cached(path: Path) -> tuple[Any | None, str | None]:
    """The entry at ``path`` (a :func:`json_cache_path`), else its recorded copy.

    Returns ``(data, source)``: source is ``"cache"``, ``"recorded"`` or None (nothing found:
    then measure and write ``path``).
    """
    data = read_json(path)
    if data is not None:
        return data, "cache"
    if os.environ.get("QTLIB_IGNORE_RECORDED"):  # set while a record is being made
        return None, None
    try:
        relative = Path(path).resolve().relative_to(cache_dir().resolve())
    except ValueError:
        return None, None
    data = read_json(RECORDED_DIR / relative)
    return (data, "recorded") if data is not None else (None, None)


def record_cache(namespaces: list[str], source: Path, *, dest: Path = RECORDED_DIR) -> list[Path]:
    """Copy every entry of ``namespaces`` in the cache folder ``source`` into ``dest``, replacing
    what ``dest`` held for those namespaces; returns the written files (sorted).

    Run it on a cache that one fresh notebook run filled (``make record``), so the record holds
    exactly the entries that notebook reads.
    """
    written = []
    for namespace in namespaces:
        folder = Path(source) / namespace
        entries = sorted(folder.glob("*.json"))
        if not entries:
            raise FileNotFoundError(f"no cached entries under {folder}: run the notebook with "
                                    f"QTLIB_CACHE_DIR={source} first")
        target = Path(dest) / namespace
        if target.exists():
            for old in target.glob("*.json"):
                old.unlink()
        target.mkdir(parents=True, exist_ok=True)
        for entry in entries:  # parsed, so only well-formed entries are recorded
            written.append(write_json_atomic(target / entry.name, json.loads(entry.read_text())))
    return sorted(written)


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
