"""Report: what a whole-model transform did to every candidate module, with bytes (ch05)."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from qtlib.utils.formatting import format_bytes


@dataclass(frozen=True)
class ModuleEntry:
    """One candidate module: converted (``new_type`` set) or skipped (``reason`` says why).

    ``bytes_before`` / ``bytes_after``: bytes of the module's state-dict tensors (packed integers,
    scales, codebooks and float biases included) before and after the transform.
    """

    name: str
    type: str
    action: str  # "converted" or "skipped"
    reason: str
    new_type: str
    bytes_before: int
    bytes_after: int


@dataclass
class Report:
    """The result of ``quantize_dynamic`` & co: one :class:`ModuleEntry` per candidate module.

    ``model_bytes_before`` / ``model_bytes_after`` count the whole model's state dict, so
    ``model_bytes_after - bytes_after`` is what stayed outside the candidates (norms, attention,
    skipped layers) in float.
    """

    method: str
    settings: dict[str, Any]
    entries: list[ModuleEntry] = field(default_factory=list)
    model_bytes_before: int = 0
    model_bytes_after: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def converted(self) -> list[ModuleEntry]:
        """Entries that were converted."""
        return [e for e in self.entries if e.action == "converted"]

    @property
    def skipped(self) -> list[ModuleEntry]:
        """Entries that were left unchanged, each with its reason."""
        return [e for e in self.entries if e.action == "skipped"]

    @property
    def bytes_before(self) -> int:
        """Bytes of all candidate modules before the transform."""
        return sum(e.bytes_before for e in self.entries)

    @property
    def bytes_after(self) -> int:
        """Bytes of all candidate modules after the transform."""
        return sum(e.bytes_after for e in self.entries)

    def totals(self) -> dict[str, Any]:
        """Counts and byte totals as a dict (candidates and whole model)."""
        return {
            "converted": len(self.converted), "skipped": len(self.skipped),
            "bytes_before": self.bytes_before, "bytes_after": self.bytes_after,
            "model_bytes_before": self.model_bytes_before,
            "model_bytes_after": self.model_bytes_after,
            "model_ratio": (self.model_bytes_after / self.model_bytes_before
                            if self.model_bytes_before else float("nan")),
        }

    def to_frame(self):
        """A pandas DataFrame, one row per candidate module."""
        import pandas as pd

        cols = ["name", "type", "action", "new_type", "reason", "bytes_before", "bytes_after"]
        return pd.DataFrame([{c: getattr(e, c) for c in cols} for e in self.entries],
                            columns=cols)

    def _summary(self) -> str:
        t = self.totals()
        settings = ", ".join(f"{k}={v!r}" for k, v in self.settings.items())
        fb = format_bytes
        return (f"{self.method}({settings}): {t['converted']} converted, {t['skipped']} skipped; "
                f"candidates {fb(t['bytes_before'])} -> {fb(t['bytes_after'])}, whole model "
                f"{fb(t['model_bytes_before'])} -> {fb(t['model_bytes_after'])} "
                f"({t['model_ratio']:.1%})")

    def __repr__(self) -> str:
        lines = [self._summary()] + [f"  note: {n}" for n in self.notes]
        width = max([len(e.name or "<root>") for e in self.entries] + [4])
        for e in self.entries:
            what = f"-> {e.new_type}" if e.action == "converted" else f"skipped: {e.reason}"
            lines.append(f"  {(e.name or '<root>'):<{width}}  {e.type:<10} "
                         f"{format_bytes(e.bytes_before):>9} -> "
                         f"{format_bytes(e.bytes_after):>9}  {what}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        notes = "".join(f"<p>note: {html.escape(n)}</p>" for n in self.notes)
        return (f"<p>{html.escape(self._summary())}</p>{notes}"
                + self.to_frame().to_html(index=False, escape=True))

