"""Chapter experiments, the top measuring layer: sweeps, evaluation tasks, regression baselines.

Here, and only here, measurement meets the zoo: an experiment loads models (``qtlib.models``)
and data (``qtlib.data``), applies recipes (``qtlib.methods``), measures them with
``qtlib.eval`` and caches the records. Nothing below this layer imports it.

- ``sweep``: recipes x layer groups measured on TinyViT and MiniLM, cached (ch05).
- ``tasks``: ``evaluate(model, task="digits" | "tinygpt" | "minilm")`` -> a record.
- ``regression``: compare a fresh table with a shipped baseline under tolerances (ch05).
"""
