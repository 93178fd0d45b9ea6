"""The ch00 explorer's callbacks, called directly (no browser): qtlib.widgets.model_size."""

import pytest

from qtlib.widgets.model_size import (
    BITS,
    human_bytes,
    model_bytes,
    model_size_table,
    model_size_text,
    model_size_widget,
)


def test_model_bytes_packs_sub_byte_values_and_rounds_up():
    assert model_bytes(1000, 32) == 4000
    assert model_bytes(1000, 16) == 2000
    assert model_bytes(1000, 8) == 1000
    assert model_bytes(1000, 4) == 500
    assert model_bytes(3, 4) == 2  # 12 bits need 2 bytes
    assert model_bytes(0, 8) == 0


@pytest.mark.parametrize("args, exc, fragment", [
    ((1.5, 8), TypeError, "num_params"),
    ((True, 8), TypeError, "num_params"),
    ((-1, 8), ValueError, "num_params"),
    ((10, 3), ValueError, "num_bits"),
    ((10, 8.0), ValueError, "num_bits"),
])
def test_model_bytes_rejects_bad_input_naming_the_argument(args, exc, fragment):
    with pytest.raises(exc, match=fragment):
        model_bytes(*args)


def test_human_bytes_uses_decimal_units_with_three_digits():
    assert human_bytes(0) == "0 B"
    assert human_bytes(999) == "999 B"
    assert human_bytes(1000) == "1 kB"
    assert human_bytes(90_800_000) == "90.8 MB"
    assert human_bytes(999_999) == "1 MB"
    assert human_bytes(4 * 10**9) == "4 GB"
    with pytest.raises(ValueError, match="num_bytes"):
        human_bytes(-1)


def test_table_has_one_row_per_width_and_halves_with_the_bits():
    rows = model_size_table(22_700_000)
    assert [r["num_bits"] for r in rows] == list(BITS) == [32, 16, 8, 4]
    sizes = [r["bytes"] for r in rows]
    assert sizes[0] == 4 * 22_700_000
    assert all(a == 2 * b for a, b in zip(sizes, sizes[1:], strict=False))
    assert [r["vs_float32"] for r in rows] == [1.0, 0.5, 0.25, 0.125]
    assert model_size_table(0)[0]["vs_float32"] == 0.0


def test_text_changes_with_the_parameter_count():
    small, large = model_size_text(10**6), model_size_text(10**9)
    assert small != large
    assert "4 MB" in small and "4 GB" in large
    assert len(large.splitlines()) == 1 + len(BITS)


def test_widget_recomputes_when_the_slider_moves():
    box = model_size_widget(10**6)
    slider, output = box.children
    before = output.value
    assert "1,000,000 parameters" in before
    slider.value = 9.0
    assert output.value != before
    assert "1,000,000,000 parameters" in output.value
    with pytest.raises(ValueError, match="initial_params"):
        model_size_widget(0)
