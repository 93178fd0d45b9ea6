"""Probes: instructor code that runs next to the learner's answer and reports plain data.

Some properties cannot be checked by calling the answer with plain data (say, the ``backward``
of an autograd Function the answer defines). A hidden test may then write a probe::

    from qtlib.grading.probes import run_probe

    GRAD_PROBE = '''
    def probe(ns, x):
        import torch
        x = x.clone().requires_grad_(True)
        ns["RoundSTE"].apply(x).sum().backward()
        return x.grad
    '''
    grad = run_probe(GRAD_PROBE, x=torch.randn(5))       # the learner's claim
    check_close(grad, torch.ones(5), name="RoundSTE's backward", hint="...")

``source`` defines ``probe(ns, **args)``, where ``ns`` is the namespace the answer cell ran in;
the probe returns plain data (see :mod:`qtlib.grading.wire`). In a learner's kernel (and when the
source notebook runs in a plain kernel) the probe runs right there on ``__main__``. In the judge
it runs in the worker, so its result is only the learner's *claim*: judge it against references
the test computes itself, never trust it.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

_RUNNER: Callable[[str, dict], Any] | None = None


def run_probe(source: str, **args: Any) -> Any:
    """Run probe ``source`` (defining ``probe(ns, **args)``) against the answer's namespace."""
    if not isinstance(source, str) or "def probe(" not in source:
        raise ValueError("source must be Python text that defines probe(ns, **args)")
    if _RUNNER is not None:
        return _RUNNER(source, args)
    scope: dict = {"__name__": "__probe__"}
    exec(compile(source, "<probe>", "exec"), scope)
    # the namespace of the cell that called us: the notebook's __main__ in a kernel, and the
    # exec namespace when a test harness runs the cells without a kernel
    caller = sys._getframe(1).f_globals
    ns = caller if caller.get("__name__") == "__main__" else vars(sys.modules["__main__"])
    return scope["probe"](ns, **args)


@contextlib.contextmanager
def runner(function: Callable[[str, dict], Any]) -> Iterator[None]:
    """Within the block, :func:`run_probe` calls ``function(source, args)`` (the judge's hook)."""
    global _RUNNER
    previous, _RUNNER = _RUNNER, function
    try:
        yield
    finally:
        _RUNNER = previous
