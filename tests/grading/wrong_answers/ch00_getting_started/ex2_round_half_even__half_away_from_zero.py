import math


def round_half_even(x: float) -> int:
    return int(math.copysign(math.floor(abs(x) + 0.5), x))  # C's round(): ties away from zero
