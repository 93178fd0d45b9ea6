"""What range torch.ao's default qconfigs give activations and weights (taught in ch02).

Checked with torch 2.13.0: on ``"x86"`` and ``"fbgemm"`` the activation observer is quint8 with
``reduce_range=True`` (codes 0 to 127: 7 bits), so the u8 x s8 pair sums of ``vpmaddubsw`` on
CPUs without VNNI cannot saturate int16; ``"qnnpack"`` (ARM) keeps the full 0 to 255.
"""

from __future__ import annotations


def torch_ao_default_ranges(backend: str = "x86") -> dict[str, object]:
    """Effective integer ranges of ``torch.ao.quantization.get_default_qconfig(backend)``.

    Returns ``{"backend", "activation_dtype", "activation_range": (qmin, qmax),
    "activation_reduce_range": bool, "weight_dtype", "weight_range": (qmin, qmax)}``.
    """
    if backend not in ("x86", "fbgemm", "qnnpack", "onednn"):
        raise ValueError(f"backend must be 'x86', 'fbgemm', 'qnnpack' or 'onednn', got {backend!r}")
    from torch.ao import quantization as tq  # its deprecation notice: qtlib's warnings policy

    qconfig = tq.get_default_qconfig(backend)
    act, weight = qconfig.activation(), qconfig.weight()
    return {"backend": backend, "activation_dtype": str(act.dtype),
            "activation_range": (int(act.quant_min), int(act.quant_max)),
            "activation_reduce_range": bool(act.reduce_range),
            "weight_dtype": str(weight.dtype),
            "weight_range": (int(weight.quant_min), int(weight.quant_max))}
