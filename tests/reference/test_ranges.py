"""qtlib.reference.ranges: torch.ao's default activation ranges (ch02's 7-bit caveat)."""

import pytest

from qtlib.reference.ranges import torch_ao_default_ranges


def test_x86_activations_use_a_reduced_7_bit_range():
    r = torch_ao_default_ranges("x86")
    assert r["activation_reduce_range"] is True
    assert r["activation_range"] == (0, 127)
    assert r["weight_range"] == (-128, 127)


def test_qnnpack_keeps_the_full_range_and_bad_backends_fail():
    assert torch_ao_default_ranges("qnnpack")["activation_range"] == (0, 255)
    with pytest.raises(ValueError, match="backend"):
        torch_ao_default_ranges("cuda")
