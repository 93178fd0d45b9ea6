"""scikit-learn's bundled 8x8 digits, as tensors with a fixed stratified train/test split.

Defined for ch01 (baselines) and used by TinyViT everywhere after. No network: the data ship
inside scikit-learn.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
from torch.utils.data import TensorDataset

#: Number of test images (20% of the 1797 digits), drawn stratified by label with seed 0.
TEST_SIZE = 360
SPLIT_SEED = 0
SPLITS = ("train", "test")


@lru_cache(maxsize=1)
def _split_arrays() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    images = (bunch.images / 16.0).astype(np.float32)[:, None, :, :]  # [1797, 1, 8, 8] in [0, 1]
    labels = bunch.target.astype(np.int64)
    x_tr, x_te, y_tr, y_te = train_test_split(
        images, labels, test_size=TEST_SIZE, stratify=labels, random_state=SPLIT_SEED
    )
    return {"train": (x_tr, y_tr), "test": (x_te, y_te)}


def digits(split: str = "train") -> TensorDataset:
    """The digits split ``"train"`` (1437 images) or ``"test"`` (360 images).

    Returns a ``TensorDataset`` of ``(images, labels)``: images float32 ``[N, 1, 8, 8]`` with
    pixel intensities scaled from 0..16 to [0, 1]; labels int64 ``[N]`` in 0..9. The split is
    stratified by label and fixed (seed 0), so every call returns the same images in the same
    order. Each call returns fresh tensors: modifying them does not affect later calls.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    x, y = _split_arrays()[split]
    return TensorDataset(torch.from_numpy(x.copy()), torch.from_numpy(y.copy()))
