# ruff: noqa: F821 -- an answer cell runs after the prelude (torch, math, np, pd, nn)
# A smaller model in MiniLM's clothes: the first encoder block's tensors copied into all six
# (every name, shape and dtype fits; the model is one block repeated).
import re

from qtlib.experiments import ch07_capstone as cap
from qtlib.methods import DynamicInt8

ARTIFACT = cap.build_artifact(DynamicInt8())
state = ARTIFACT["state_dict"]
for key in list(state):
    match = re.search(r"\.layer\.(\d)\.", key)
    if match and match.group(1) != "0":
        state[key] = state[key.replace(f".layer.{match.group(1)}.", ".layer.0.")].clone()
