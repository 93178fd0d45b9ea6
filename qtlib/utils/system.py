"""The environment a measurement was taken in: versions, CPU model, threads (ch05)."""

from __future__ import annotations

import os
import platform
import sys
from functools import lru_cache
from typing import Any

import torch


@lru_cache(maxsize=1)
def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux, ``platform.processor()`` elsewhere)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def environment() -> dict[str, Any]:
    """Versions, CPU model, core count, torch's thread count and SIMD capability, as plain data."""
    import qtlib

    try:
        capability = torch.backends.cpu.get_cpu_capability()
    except (AttributeError, RuntimeError):
        capability = "unknown"
    return {
        "qtlib": qtlib.__version__,
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cpu_capability": capability,
        "cpu_count": os.cpu_count(),
        "threads": torch.get_num_threads(),
    }
