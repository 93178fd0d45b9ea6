"""qtlib.methods: whole-model transforms returning ``(new_model, report)`` (ch04, ch05).

The input model is never changed. Include/exclude take fnmatch patterns on module names as
``model.named_modules()`` gives them (``""`` is the root).
"""

from qtlib.methods.ptq import (
    quantize_dynamic,
    quantize_static,
    quantize_weight_only,
    run_batch,
    share_weights,
)
from qtlib.methods.report import ModuleEntry, Report

__all__ = ["ModuleEntry", "Report", "quantize_dynamic", "quantize_static",
           "quantize_weight_only", "run_batch", "share_weights"]
