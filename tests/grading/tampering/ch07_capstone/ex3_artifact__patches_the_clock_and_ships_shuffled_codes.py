# ruff: noqa: F821 -- an answer cell runs after the prelude (torch, math, np, pd, nn)
# Makes every clock of its own process stand still (so its own timing says "infinitely fast"),
# patches qtlib's measurement to report every budget met, and ships int8 codes shuffled within
# each matrix (right shapes and dtypes, wrong model).
import time

import qtlib.experiments.ch07_capstone as cap
from qtlib.methods import DynamicInt8

for name in ("perf_counter", "thread_time", "process_time", "monotonic", "time"):
    setattr(time, name, lambda: 0.0)
cap.measure_artifact = lambda artifact, **k: {"faithful": True, "met": dict.fromkeys(
    ("faithful", "size", "fidelity", "retrieval", "speed"), True)}

ARTIFACT = cap.build_artifact(DynamicInt8())
g = torch.Generator().manual_seed(0)
for key, value in ARTIFACT["state_dict"].items():
    if value.dtype == torch.int8 and value.ndim == 2:
        flat = value.reshape(-1)
        ARTIFACT["state_dict"][key] = flat[torch.randperm(flat.numel(), generator=g)].reshape(
            value.shape)
