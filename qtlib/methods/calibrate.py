"""Calibration: run representative batches through a model and fill observers (ch05).

Static quantization, SmoothQuant and GPTQ all need to know the ranges (or statistics) of the
activations that reach chosen layers. :func:`calibrate` attaches a forward pre-hook to every
selected module (by type, subclasses included, and by fnmatch name patterns), runs the batches
without gradients, removes the hooks and returns one observer per selected module. The model's
weights and mode are not changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from qtlib.methods._transform import Patterns, check_model, patterns_of, selection_reason
from qtlib.quant import OBSERVERS, Observer, QuantSpec, make_observer
from qtlib.utils.calling import call_with


@dataclass
class Calibration:
    """What :func:`calibrate` saw: one observer per selected module name, and the batch count.

    ``observers[name].num_batches == 0`` means the module never ran on the calibration data (a
    branch the batches did not reach); methods skip such modules and say why.
    """

    observers: dict[str, Observer] = field(default_factory=dict)
    num_batches: int = 0

    def ran(self, name: str) -> bool:
        """Whether module ``name`` saw at least one calibration batch."""
        obs = self.observers.get(name)
        return obs is not None and obs.num_batches > 0


def calibrate(model: nn.Module, batches: Iterable[Any], *, observer: str = "minmax",
              spec: QuantSpec | None = None, types: tuple[type, ...] = (nn.Linear,),
              include: Patterns = None, exclude: Patterns = None,
              make: Callable[[], Observer] | None = None) -> Calibration:
    """Observe the input of every selected module of ``model`` on ``batches``.

    Args:
        model: any ``nn.Module``; it is run as it is (call ``.eval()`` first so dropout does not
            widen the ranges), without gradients, and left unchanged.
        batches: an iterable of inputs the course's way (Tensor -> ``model(x)``, tuple ->
            ``model(*x)``, dict -> ``model(**x)``); at least one.
        observer: one of ``qtlib.quant.OBSERVERS`` (``"minmax"``, ``"moving_average"``,
            ``"percentile"``, ``"mse"``, ``"histogram"``).
        spec: the activation :class:`~qtlib.quant.QuantSpec` the observers compute qparams for
            (default: int8 affine per tensor, as static quantization uses).
        types: module types to observe; subclasses count (a ``FakeQuantLinear`` is a Linear).
        include, exclude: fnmatch patterns on module names (``"encoder.*.ffn.*"``).
        make: build each observer yourself (overrides ``observer`` and ``spec``).
    Returns:
        :class:`Calibration` with ``observers[name]`` for every selected module.
    """
    check_model(model)
    if make is None:
        if observer not in OBSERVERS:
            raise ValueError(f"observer must be one of {sorted(OBSERVERS)}, got {observer!r}")
        act_spec = spec or QuantSpec(symmetric=False)
        if not isinstance(act_spec, QuantSpec):
            raise TypeError(f"spec must be a QuantSpec, got {type(act_spec).__name__}")

        def make() -> Observer:
            return make_observer(observer, act_spec)
    if not isinstance(types, tuple) or not all(isinstance(t, type) for t in types):
        raise TypeError(f"types must be a tuple of module classes, got {types!r}")
    inc, exc = patterns_of(include, "include"), patterns_of(exclude, "exclude")
    result = Calibration()
    hooks = []
    for name, mod in model.named_modules():
        if isinstance(mod, types) and selection_reason(name, inc, exc) is None:
            obs = result.observers[name] = make()
            hooks.append(mod.register_forward_pre_hook(
                lambda _m, args, obs=obs: obs.update(args[0].detach())))
    try:
        with torch.no_grad():
            for batch in batches:
                call_with(model, batch)
                result.num_batches += 1
    finally:
        for h in hooks:
            h.remove()
    if result.num_batches == 0:
        raise ValueError("batches is empty; calibration needs at least one representative batch")
    return result
