"""qtlib's warnings policy: each known torch/torchao warning is silenced, nothing else is."""

import logging
import subprocess
import sys
import warnings

import pytest

from qtlib.warnings_policy import KNOWN_WARNINGS, silence_known_warnings


def _emit_all_known_torch_warnings() -> None:
    import torch
    import torch.ao.quantization as tq

    tq.quantize_dynamic(torch.nn.Sequential(torch.nn.Linear(4, 4)), {torch.nn.Linear})
    torch.quantize_per_tensor(torch.randn(3), 0.1, 0, torch.quint8)
    tq.MinMaxObserver(reduce_range=True)


def test_known_torch_warnings_are_emitted_without_the_policy():
    # Proves the test below can fail: torch really emits these warnings.
    with warnings.catch_warnings(record=True) as caught:
        warnings.resetwarnings()
        warnings.simplefilter("always")
        _emit_all_known_torch_warnings()
    messages = [str(w.message) for w in caught]
    import re

    for _category, pattern in KNOWN_WARNINGS:
        assert any(re.match(pattern, m) for m in messages), f"torch no longer emits: {pattern}"


def test_known_torch_warnings_are_silenced():
    with warnings.catch_warnings(record=True) as caught:
        warnings.resetwarnings()
        warnings.simplefilter("always")
        silence_known_warnings()
        _emit_all_known_torch_warnings()
    assert [str(w.message)[:80] for w in caught] == []


def test_unrelated_warnings_still_show():
    with warnings.catch_warnings(record=True) as caught:
        warnings.resetwarnings()
        warnings.simplefilter("always")
        silence_known_warnings()
        warnings.warn("something else is deprecated", DeprecationWarning, stacklevel=1)
        warnings.warn("a learner should see this", UserWarning, stacklevel=1)
    assert len(caught) == 2


@pytest.mark.parametrize(
    ("logger_name", "message", "dropped"),
    [
        ("torchao", "Failed to load /x/torchao/_C_mxfp8.so: Could not load", True),
        ("torch.utils._pytree", "<enum 'K'> is an Enum subclass and is now natively supported",
         True),
        ("torchao.kernel.intmm", "Warning: Detected no triton, on systems without Triton", True),
        ("torchao", "a real torchao problem", False),
    ],
)
def test_known_log_noise_is_dropped_and_other_records_kept(caplog, logger_name, message, dropped):
    silence_known_warnings()
    with caplog.at_level(logging.WARNING):
        logging.getLogger(logger_name).warning(message)
    assert (message not in caplog.text) is dropped


def test_fresh_process_importing_torchao_and_torch_ao_writes_nothing_to_stderr():
    code = (
        "import qtlib, torch, torchao, torch.ao.quantization as tq\n"
        "from torchao.quantization import quantize_, Int8DynamicActivationInt8WeightConfig\n"
        "m = torch.nn.Sequential(torch.nn.Linear(8, 8))\n"
        "tq.quantize_dynamic(m, {torch.nn.Linear})\n"
        "quantize_(torch.nn.Sequential(torch.nn.Linear(16, 16)), "
        "Int8DynamicActivationInt8WeightConfig())\n"
    )
    # -W default shows DeprecationWarnings everywhere, as a notebook does for its own code
    proc = subprocess.run([sys.executable, "-W", "default", "-c", code],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
