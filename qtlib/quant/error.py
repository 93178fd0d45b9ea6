"""Quantization error in one number: SQNR in dB, and the clipping fraction (defined in ch02).

* :func:`sqnr_db`: signal-to-quantization-noise ratio ``10 * log10(sum x**2 / sum (x - x_hat)**2)``
  in decibels, computed in float64. Each extra bit halves the step, quarters the noise power and
  adds ``20 * log10(2) = 6.02`` dB (the "6 dB per bit" rule, measured in ch02).
* :func:`clipped_fraction`: the fraction of values outside a range (what clipping gives up).
"""

from __future__ import annotations

import math

import torch

from qtlib.quant.checks import check_float_tensor

#: dB gained per extra bit for a fine uniform grid: 20 * log10(2).
DB_PER_BIT = 20 * math.log10(2)


def sqnr_db(x: torch.Tensor, x_hat: torch.Tensor) -> float:
    """SQNR of ``x_hat`` against ``x`` in dB (a Python float; ``math.inf`` when they are equal).

    Args:
        x: the reference, a float tensor of any shape (finite, non-empty, not all zero).
        x_hat: the approximation (e.g. ``fake_quantize(x, ...)``), same shape.
    Raises:
        ValueError: shapes differ, or ``x`` is all zero (no signal to compare against).
    """
    check_float_tensor(x, "x")
    check_float_tensor(x_hat, "x_hat")
    if x.shape != x_hat.shape:
        raise ValueError(f"x {tuple(x.shape)} and x_hat {tuple(x_hat.shape)} must have the same "
                         f"shape")
    signal = float(x.double().pow(2).sum())
    if signal == 0.0:
        raise ValueError("x is all zero: SQNR is undefined without a signal")
    noise = float((x.double() - x_hat.double()).pow(2).sum())
    return math.inf if noise == 0.0 else 10.0 * math.log10(signal / noise)


def clipped_fraction(x: torch.Tensor, lo: float, hi: float) -> float:
    """Fraction (0 to 1) of the values of ``x`` below ``lo`` or above ``hi``."""
    check_float_tensor(x, "x")
    if lo > hi:
        raise ValueError(f"lo must be <= hi, got lo={lo}, hi={hi}")
    return float(((x < lo) | (x > hi)).double().mean())
