# ruff: noqa: F821 -- an answer cell runs after the prelude (torch, math, np, pd, nn)
# Dynamic int8 with the FFN outputs kept in float (chapter 5's fix for outliers): as faithful,
# fast enough, but about 33.5 MB, over the 30 MB size budget.
from qtlib.experiments import ch07_capstone as cap
from qtlib.methods import DynamicInt8

ARTIFACT = cap.build_artifact(DynamicInt8(exclude=("bert.encoder.layer.?.output.dense",)))
