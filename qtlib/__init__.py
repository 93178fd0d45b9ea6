"""qtlib: the library behind the course "Quantizing Transformers in PyTorch".

Layers (each imports only from the ones listed before it; see COURSE_DESIGN section 4):
``qtlib.quant`` (the math), ``qtlib.nn`` (quantized modules), ``qtlib.methods`` (whole-model
transforms), ``qtlib.eval`` (metrics and measurement), ``qtlib.models`` / ``qtlib.data`` (the
offline zoo), ``qtlib.widgets`` / ``qtlib.plots`` (explorers and figures), ``qtlib.grading``
(hint-giving checks).

Importing qtlib installs the course's warnings policy
(:func:`qtlib.utils.warnings_policy.silence_known_warnings`): the known torch 2.13 / torchao 0.18
deprecation noise is filtered, nothing else.
"""

from qtlib.utils.warnings_policy import silence_known_warnings

__version__ = "0.1.0"
__all__ = ["__version__", "silence_known_warnings"]

silence_known_warnings()
