# ruff: noqa: F821 -- an answer cell runs after the prelude (torch, math, np, pd, nn)
# Weight-only int4 in groups of 32: 4-bit weights, but the embeddings stay float32 (about 55 MB,
# more than the grader accepts as a submission, and over the size budget), the cosine to float32
# is about 0.96 and it is slower than float32.
from qtlib.experiments import ch07_capstone as cap
from qtlib.methods import WeightOnly

ARTIFACT = cap.build_artifact(WeightOnly(num_bits=4, group_size=32))
