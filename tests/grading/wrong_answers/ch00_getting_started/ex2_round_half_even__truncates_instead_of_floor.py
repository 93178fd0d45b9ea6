def round_half_even(x: float) -> int:
    lower = int(x)  # rounds towards zero: wrong for negative numbers
    fraction = x - lower
    if fraction > 0.5:
        return lower + 1
    if fraction < 0.5:
        return lower
    return lower if lower % 2 == 0 else lower + 1
