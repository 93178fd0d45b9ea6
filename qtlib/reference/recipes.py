"""The reference methods as registered recipes, so sweeps and tables compare them like any other.

Importing :mod:`qtlib.reference` registers them. Checked with torch 2.13.0 / torchao 0.18.0.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from torch import nn

from qtlib.methods.recipes import Recipe, register
from qtlib.methods.report import Report
from qtlib.nn import state_bytes
from qtlib.reference.torch_ao import torch_ao_quantize_dynamic


@register
@dataclass(frozen=True)
class TorchAODynamic(Recipe):
    """torch.ao's deprecated ``quantize_dynamic`` (per-tensor int8 weights, per-tensor 7-bit
    activations at run time, float embeddings), through :func:`torch_ao_quantize_dynamic`."""

    name: ClassVar[str] = "torch_ao_dynamic"
    description: ClassVar[str] = ("torch.ao quantize_dynamic: int8 weights, one activation "
                                  "scale per tensor")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.include is not None or self.exclude:
            raise ValueError("torch_ao_dynamic converts every nn.Linear (torch.ao has no name "
                             "patterns): leave include and exclude empty")

    @property
    def setting(self) -> str:
        return "per-tensor"

    def quantize(self, model: nn.Module, calibration: Iterable[Any] | None = None
                 ) -> tuple[nn.Module, Report]:
        new = torch_ao_quantize_dynamic(model)
        report = Report(method="torch_ao_quantize_dynamic", settings={},
                        model_bytes_before=state_bytes(model), model_bytes_after=state_bytes(new))
        report.notes.append("torch.ao swaps every nn.Linear; its per-module detail is not reported")
        return new, report
