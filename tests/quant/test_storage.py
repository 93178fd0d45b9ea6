"""bytes_per_weight: codes plus scales and zero-points per group (ch04)."""

import pytest

from qtlib.quant import bytes_per_weight


def test_formula_counts_codes_scales_and_zero_points():
    assert bytes_per_weight(4, 32) == pytest.approx(0.5 + 4 / 32)
    assert bytes_per_weight(4, 128, scale_bytes=2, zero_point_bytes=1) == pytest.approx(
        0.5 + 3 / 128)
    assert bytes_per_weight(3, None, in_features=512) == pytest.approx(3 / 8 + 4 / 512)
    assert bytes_per_weight(8, 64) > bytes_per_weight(4, 64) > bytes_per_weight(4, 128)


@pytest.mark.parametrize("kwargs, exc", [
    ({"num_bits": 0, "group_size": 32}, ValueError),
    ({"num_bits": 4, "group_size": None}, ValueError),
    ({"num_bits": 4, "group_size": 0}, ValueError),
    ({"num_bits": 4.0, "group_size": 32}, TypeError),
])
def test_bad_input(kwargs, exc):
    with pytest.raises(exc):
        bytes_per_weight(**kwargs)
