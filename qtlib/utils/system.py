"""The machine a measurement ran on: versions, CPU model and features, threads (ch00, ch05)."""

from __future__ import annotations

import os
import platform
import sys
from functools import lru_cache
from typing import Any

import torch


def _cpuinfo_field(key: str) -> str | None:
    """The value of the first ``key`` line of ``/proc/cpuinfo`` (None where it does not exist)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.lower().startswith(key):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


@lru_cache(maxsize=1)
def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux, ``platform.processor()`` elsewhere)."""
    return (_cpuinfo_field("model name") or platform.processor() or platform.machine()
            or "unknown")


@lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    """The feature flags Linux reports for the first CPU (empty elsewhere), e.g. ``"avx2"``."""
    return frozenset((_cpuinfo_field("flags") or "").split())


#: CPU features that decide how fast int8 runs -> the /proc/cpuinfo flag that says so.
INT8_FEATURES: dict[str, str] = {
    "AVX2": "avx2",
    "AVX-512 (foundation)": "avx512f",
    "AVX-512 VNNI (int8 dot products)": "avx512_vnni",
    "AVX-VNNI": "avx_vnni",
    "AMX int8": "amx_int8",
}


def cpu_features() -> dict[str, bool]:
    """Which of :data:`INT8_FEATURES` this CPU has (all False where flags are not available)."""
    flags = cpu_flags()
    return {name: flag in flags for name, flag in INT8_FEATURES.items()}


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
