"""The shared driver of the whole-model transforms: select, convert, report, never mutate."""

from __future__ import annotations

import copy
import fnmatch
from collections.abc import Callable, Sequence

from torch import nn

from qtlib.methods.report import ModuleEntry, Report
from qtlib.nn import state_bytes


class Skip(Exception):
    """Raised by a convert function to leave a module unchanged, with the reason as message."""


Patterns = str | Sequence[str] | None


def patterns_of(value: Patterns, name: str) -> list[str] | None:
    """``value`` as a list of fnmatch patterns (None: no filter); TypeError naming ``name``."""
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if not all(isinstance(p, str) for p in value):
        raise TypeError(f"{name} must be a pattern string or a list of them, got {value!r}")
    return list(value)


def selection_reason(name: str, include: list[str] | None, exclude: list[str] | None
                     ) -> str | None:
    """None if ``name`` is selected, else why not (fnmatch patterns on module names)."""
    if include is not None and not any(fnmatch.fnmatchcase(name, p) for p in include):
        return f"not matched by include={include}"
    for p in exclude or []:
        if fnmatch.fnmatchcase(name, p):
            return f"excluded by pattern {p!r}"
    return None


def check_model(model: object) -> nn.Module:
    """Raise TypeError unless ``model`` is an ``nn.Module``."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return model


def mha_owned(model: nn.Module) -> set[str]:
    """Names of Linear modules that ``nn.MultiheadAttention`` uses through ``.weight`` directly."""
    owned = set()
    for name, mod in model.named_modules():
        if isinstance(mod, nn.MultiheadAttention):
            owned.add(f"{name}.out_proj" if name else "out_proj")
    return owned


def _no_op_pre_hook(module: nn.Module, args: tuple) -> None:
    """Forward pre-hook that does nothing; its presence makes torch take the slow path."""
    return None


def keep_encoder_layers_on_slow_path(model: nn.Module) -> list[str]:
    """Give each ``nn.TransformerEncoderLayer`` with a converted linear a no-op pre-hook.

    The layer's fast path (torch 2.13, ``transformer.py``) reads ``linear1.weight`` & co as float
    tensors, so a quantized linear there crashes (``AttributeError``) unless the fast path is off.
    Any forward hook makes that one layer skip its fast path, without touching the global
    ``torch.backends.mha`` switch; an ``nn.TransformerEncoder`` holding such layers gets
    ``use_nested_tensor = False`` (its padding-mask fast path reads the same weights). Returns
    the names of the layers and encoders it changed.
    """
    changed = []
    for name, mod in model.named_modules():
        if isinstance(mod, nn.TransformerEncoder) and getattr(mod, "use_nested_tensor", False):
            if any(type(getattr(layer, k)) is not nn.Linear for layer in mod.layers
                   for k in ("linear1", "linear2")):
                mod.use_nested_tensor = False
                changed.append(name)
        if isinstance(mod, nn.TransformerEncoderLayer) and not all(
                type(getattr(mod, k)) is nn.Linear for k in ("linear1", "linear2")):
            if _no_op_pre_hook not in mod._forward_pre_hooks.values():
                mod.register_forward_pre_hook(_no_op_pre_hook)
            changed.append(name)
    return changed


def transform(model: nn.Module, *, method: str, settings: dict, types: tuple[type, ...],
              convert: Callable[[str, nn.Module], nn.Module], include: Patterns = None,
              exclude: Patterns = None, prepared: nn.Module | None = None
              ) -> tuple[nn.Module, Report]:
    """Deep-copy ``model`` (or use ``prepared``, already a copy), convert every selected module
    of ``types`` with ``convert(name, module)`` and report every candidate.

    A candidate is skipped (with its reason) when include/exclude deselect it, when it is a
    subclass of the candidate type (e.g. an already quantized or special module), when
    ``nn.MultiheadAttention`` reads its weight directly, or when ``convert`` raises :class:`Skip`.
    """
    check_model(model)
    inc, exc = patterns_of(include, "include"), patterns_of(exclude, "exclude")
    new_model = prepared if prepared is not None else copy.deepcopy(model)
    report = Report(method=method, settings=dict(settings),
                    model_bytes_before=state_bytes(model))
    owned = mha_owned(new_model)
    candidates = [(n, m) for n, m in new_model.named_modules() if isinstance(m, types)]
    for name, mod in candidates:
        before = state_bytes(mod)
        kind = type(mod).__name__
        reason = selection_reason(name, inc, exc)
        if reason is None and type(mod) not in types:
            reason = f"{kind} is a subclass of {type(mod).__mro__[1].__name__}; not converted"
        if reason is None and name in owned:
            reason = "nn.MultiheadAttention reads this layer's .weight directly"
        new = None
        if reason is None:
            try:
                new = convert(name, mod)
            except Skip as why:
                reason = str(why)
        if new is None:
            report.entries.append(ModuleEntry(name, kind, "skipped", reason, "", before, before))
            continue
        if name == "":
            new_model = new
        else:
            parent_name, _, child = name.rpartition(".")
            setattr(new_model.get_submodule(parent_name), child, new)
        report.entries.append(ModuleEntry(name, kind, "converted", "", type(new).__name__,
                                          before, state_bytes(new)))
    new_model.train(model.training)
    slow = keep_encoder_layers_on_slow_path(new_model)
    if slow:
        report.notes.append(f"kept off torch's transformer fast path (it reads float .weight "
                            f"tensors): {slow}")
    report.model_bytes_after = state_bytes(new_model)
    return new_model, report
