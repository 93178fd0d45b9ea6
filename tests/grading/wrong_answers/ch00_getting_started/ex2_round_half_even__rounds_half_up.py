import math


def round_half_even(x: float) -> int:
    return math.floor(x + 0.5)  # the school rule: ties go up
