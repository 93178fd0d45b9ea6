"""qtlib: the library behind the course "Quantizing Transformers in PyTorch".

Layers, from the bottom up (each imports only from the ones below it; docs/ARCHITECTURE.md,
enforced by tests/test_layers.py): ``qtlib.utils`` (shared utilities), ``qtlib.quant`` (the math),
``qtlib.nn`` (quantized modules), ``qtlib.methods`` (recipes and whole-model transforms),
``qtlib.reference`` (torch.ao / torchao adapters), ``qtlib.eval`` (measurement and records),
``qtlib.data`` and ``qtlib.models`` (the offline zoo), ``qtlib.plots``, ``qtlib.widgets``
(figures and explorers), ``qtlib.experiments`` (chapter experiments), and on top
``qtlib.grading`` and ``qtlib.lab``.

Importing qtlib installs the course's warnings policy
(:func:`qtlib.utils.warnings_policy.silence_known_warnings`): the known torch 2.13 / torchao 0.18
deprecation noise is filtered, nothing else.
"""

from qtlib.utils.warnings_policy import silence_known_warnings

__version__ = "0.1.0"
__all__ = ["__version__", "silence_known_warnings"]

silence_known_warnings()
