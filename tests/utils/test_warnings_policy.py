"""qtlib's warnings policy: each known torch/torchao warning is silenced, nothing else is."""

import json
import logging
import re
import subprocess
import sys
import warnings

import pytest

from qtlib.utils.warnings_policy import KNOWN_WARNINGS, silence_known_warnings

# Runs in a fresh process: torch emits some of these warnings once per process (TORCH_WARN_ONCE),
# so an earlier test in the same process could hide them.
_EMIT_ALL = """
import json, sys, warnings
warnings.resetwarnings()
warnings.simplefilter("always")
if sys.argv[1] == "policy":
    from qtlib.utils.warnings_policy import silence_known_warnings
    silence_known_warnings()
import torch
import torch.ao.quantization as tq
with warnings.catch_warnings(record=True) as caught:
    if sys.argv[1] == "policy":
        silence_known_warnings()
    else:
        warnings.simplefilter("always")
    tq.quantize_dynamic(torch.nn.Sequential(torch.nn.Linear(4, 4)), {torch.nn.Linear})
    torch.quantize_per_tensor(torch.randn(3), 0.1, 0, torch.quint8)
    tq.MinMaxObserver(reduce_range=True)
print(json.dumps([str(w.message) for w in caught]))
"""


def _messages_in_fresh_process(mode: str) -> list[str]:
    proc = subprocess.run([sys.executable, "-c", _EMIT_ALL, mode], capture_output=True,
                          text=True, timeout=300, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


#: emitted only when torch.compile caches a torchao model (tested on its own below: slow)
_COMPILE_ONLY = (r"Int8Tensor does not implement _stable_hash_for_caching",)

_EMIT_COMPILE = """
import json, warnings
import torch
from torchao.quantization import quantize_, Int8DynamicActivationInt8WeightConfig
m = torch.nn.Sequential(torch.nn.Linear(32, 32)).eval()
quantize_(m, Int8DynamicActivationInt8WeightConfig())
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    with torch.inference_mode():
        torch.compile(m)(torch.randn(4, 32))
print(json.dumps([[type(w.message).__name__, str(w.message)] for w in caught]))
"""


def test_torchao_compile_caching_notice_is_emitted_and_matched_by_the_policy():
    proc = subprocess.run([sys.executable, "-c", _EMIT_COMPILE], capture_output=True,
                          text=True, timeout=600, check=True)
    caught = json.loads(proc.stdout.strip().splitlines()[-1])
    for pattern in _COMPILE_ONLY:
        hits = [m for cat, m in caught if cat == "UserWarning" and re.match(pattern, m)]
        assert hits, f"torch no longer emits: {pattern}"
        with warnings.catch_warnings(record=True) as again:
            warnings.resetwarnings()
            warnings.simplefilter("always")
            silence_known_warnings()
            warnings.warn(hits[0], UserWarning, stacklevel=1)
        assert again == []


def test_known_torch_warnings_are_emitted_without_the_policy():
    # Proves the test below can fail: torch really emits these warnings.
    messages = _messages_in_fresh_process("bare")
    for _category, pattern in KNOWN_WARNINGS:
        if pattern in _COMPILE_ONLY:
            continue
        assert any(re.match(pattern, m) for m in messages), f"torch no longer emits: {pattern}"


def test_known_torch_warnings_are_silenced():
    assert [m[:80] for m in _messages_in_fresh_process("policy")] == []


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
