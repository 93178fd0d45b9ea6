"""Shared utilities, the lowest layer of qtlib: every other package may import it, it imports none.

- ``progress``: :func:`progress_bar`, on in Jupyter and terminals, off in tests and CI.
- ``cache``: :func:`cache_dir` and :func:`json_cache`, results that are slow to compute, on disk.
- ``calling``: :func:`call_with` (Tensor -> f(x), tuple -> f(*x), dict -> f(**x)),
  :func:`output_tensor`, :func:`require_eval_mode`, :func:`shapes_of`.
- ``formatting``: :func:`format_bytes`, the course's one byte unit convention (decimal: kB, MB).
- ``validation``: argument checks shared by several packages, each naming the argument.
- ``system``: :func:`cpu_model`, :func:`cpu_flags`, :func:`environment`.
- ``warnings_policy``: the known torch/torchao deprecation noise, filtered in one place.
"""
