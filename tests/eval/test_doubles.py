"""The exercise doubles behave as the ch05 test cells say they do."""

import pytest
import torch

from qtlib.eval.doubles import BufferOnlyLinear, FakeClock, LookupModel, scripted_workload


def test_lookup_model_returns_rows_and_records_grad_mode():
    table = torch.arange(12.0).reshape(4, 3)
    model = LookupModel(table, dropout=0.5).eval()
    with torch.no_grad():
        out = model(torch.tensor([2, 0]))
    assert torch.equal(out, table[[2, 0]]) and model.grad_was_enabled == [False]
    model.train()
    torch.manual_seed(0)
    assert not torch.equal(model(torch.tensor([0, 1, 2, 3])), table)   # dropout acts in train
    with pytest.raises(ValueError, match="table"):
        LookupModel(torch.ones(3))


def test_scripted_workload_moves_the_clock_and_repeats_the_last_step():
    clock = FakeClock(5.0)
    fn, calls = scripted_workload(clock, [1.0, 0.25])
    [fn() for _ in range(3)]
    assert len(calls) == 3 and clock() == pytest.approx(6.5) and clock.reads == 1
    with pytest.raises(ValueError, match="durations_s"):
        scripted_workload(clock, [])


def test_buffer_only_linear_has_buffers_and_no_parameters():
    layer = BufferOnlyLinear(4, 6)
    assert list(layer.parameters()) == []
    assert layer.qweight.dtype == torch.int8 and layer.qweight.shape == (4, 6)
    assert set(layer.state_dict()) == {"qweight", "scale"}
