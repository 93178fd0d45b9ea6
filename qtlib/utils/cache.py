"""Where qtlib keeps results that are slow to compute (sweeps, benchmark records).

``cache_dir()`` is ``$QTLIB_CACHE_DIR`` when set (tests point it at a temporary folder), else
``~/.cache/qtlib``. The folder is created on first use. Entries are keyed by everything that
changes their value (settings, qtlib and torch versions), so a stale entry is never read.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """The cache folder (created if missing)."""
    path = Path(os.environ.get("QTLIB_CACHE_DIR", Path.home() / ".cache" / "qtlib"))
    path.mkdir(parents=True, exist_ok=True)
    return path
