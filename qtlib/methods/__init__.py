"""qtlib.methods: whole-model transforms returning ``(new_model, report)`` (ch05).

The input model is never changed. Include/exclude take fnmatch patterns on module names as
``model.named_modules()`` gives them (``""`` is the root).

- recipes: ``apply(model, recipe, calibration=None)``, the recipe classes (``Float32``,
  ``DynamicInt8``, ``StaticInt8``, ``WeightOnly``, ``WeightSharing``), ``register``,
  ``registered``, ``recipe_from_dict``, ``sweep_recipes``.
- ptq: ``quantize_dynamic``, ``quantize_static``, ``quantize_weight_only``, ``share_weights``.
- calibrate: ``calibrate`` (observers on selected modules), ``Calibration``.
- gptq (ch04): ``GPTQ`` recipe, ``quantize_gptq``, ``gptq_quantize_weight``, ``gptq_column_update``.
- saving (ch04): ``save_quantized``, ``load_quantized``, ``build_quantized``,
  ``quantized_layout``.
- smoothquant (ch03): ``SmoothQuant``, ``quantize_smoothquant``, ``smooth``.
- mixed_precision (ch03): ``rank_layers``, ``choose_float_layers`` (import the module).
- qat: ``prepare_qat``, ``convert_qat``; training: ``finetune``.
"""

from qtlib.methods.calibrate import Calibration, calibrate
from qtlib.methods.gptq import GPTQ, gptq_column_update, gptq_quantize_weight, quantize_gptq
from qtlib.methods.ptq import (
    quantize_dynamic,
    quantize_static,
    quantize_weight_only,
    share_weights,
)
from qtlib.methods.qat import convert_qat, prepare_qat
from qtlib.methods.recipes import (
    DynamicInt8,
    Float32,
    Recipe,
    StaticInt8,
    WeightOnly,
    WeightSharing,
    apply,
    recipe_from_dict,
    register,
    registered,
    sweep_recipes,
    unregister,
)
from qtlib.methods.report import ModuleEntry, Report
from qtlib.methods.saving import (
    build_quantized,
    load_quantized,
    quantized_layout,
    save_quantized,
)
from qtlib.methods.smoothquant import SmoothQuant, quantize_smoothquant, smooth
from qtlib.methods.training import finetune

__all__ = [
    "GPTQ", "gptq_column_update", "gptq_quantize_weight", "quantize_gptq",
    "build_quantized", "load_quantized", "quantized_layout", "save_quantized",
    "SmoothQuant", "quantize_smoothquant", "smooth",
    "Calibration", "DynamicInt8", "Float32", "ModuleEntry", "Recipe", "Report", "StaticInt8",
    "WeightOnly", "WeightSharing", "apply", "calibrate", "convert_qat", "finetune",
    "prepare_qat", "quantize_dynamic", "quantize_static", "quantize_weight_only",
    "recipe_from_dict", "register", "registered", "share_weights", "sweep_recipes",
    "unregister",
]
