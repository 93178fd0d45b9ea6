"""The one place where qtlib filters known deprecation noise of torch 2.13 and torchao 0.18.

Why: nbgrader scores a test cell 0 when it writes to stderr, and torch 2.13 warns on every use of
``torch.ao.quantization`` and of the quantized dtypes, which the course uses on purpose as a
reference. Only these exact messages are filtered; every other warning still shows.

Checked with torch 2.13.0 and torchao 0.18.0.
"""

from __future__ import annotations

import logging
import re
import warnings

#: (category, regex matched against the start of the message) for each known warning.
KNOWN_WARNINGS: tuple[tuple[type[Warning], str], ...] = (
    # torch/ao/quantization/__init__.py and every eager-mode entry point
    (DeprecationWarning, r"torch\.ao\.quantization is deprecated and will be removed"),
    # torch.quantize_per_tensor and friends (quint8, qint8, qint32)
    (UserWarning, r"torch\.quantize_per_tensor, torch\.quantize_per_channel and other quantized "
                  r"tensor creation functions"),
    # torch.ao observers constructed with reduce_range=...
    (UserWarning, r"Please use quant_min and quant_max to specify the range for observers"),
    # torch.compile of a torchao-quantized model (AOT autograd's cache asks every tensor subclass
    # for a stable hash; torchao 0.18's Int8Tensor has none, so that graph is just not cached)
    (UserWarning, r"Int8Tensor does not implement _stable_hash_for_caching"),
)

#: (logger name, regex) for known log noise: torchao's optional CUDA kernels that cannot load on a
#: CPU machine, its Triton notice (no Triton on CPU), and torch's pytree notice triggered by
#: torchao's enum registration. A logger's filter sees only records logged on that logger itself,
#: so each entry names the exact logger that emits the record.
KNOWN_LOG_RECORDS: tuple[tuple[str, str], ...] = (
    ("torchao", r"Failed to load .*\.so"),
    ("torchao.kernel.intmm", r"Warning: Detected no triton"),
    ("torch.utils._pytree", r".* is an Enum subclass and is now natively supported"),
)


class _DropKnownRecords(logging.Filter):
    """A logging filter that drops records whose message matches one regex."""

    def __init__(self, pattern: str) -> None:
        super().__init__()
        self.pattern = re.compile(pattern)

    def filter(self, record: logging.LogRecord) -> bool:
        return not self.pattern.match(record.getMessage())


def silence_known_warnings() -> None:
    """Filter exactly the known torch/torchao deprecation warnings and log noise; idempotent.

    Called when ``qtlib`` is imported. Call it again after anything that resets the warnings
    filters (``warnings.catch_warnings``, pytest's per-test capture).
    """
    for category, pattern in KNOWN_WARNINGS:
        warnings.filterwarnings("ignore", message=pattern, category=category)
    for name, pattern in KNOWN_LOG_RECORDS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _DropKnownRecords) and f.pattern.pattern == pattern
                   for f in logger.filters):
            logger.addFilter(_DropKnownRecords(pattern))
