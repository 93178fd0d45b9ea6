"""Where a transformer's parameters, FLOPs and bytes go, counted from its dimensions (ch01).

:func:`breakdown` is a pure function of a :class:`TransformerDims` (width, layers, heads, FFN
width, vocabulary, sequence length, ...) that returns, per component, the number of parameters,
the FLOPs of one forward pass over one sequence, and the bytes of the weights. :func:`dims_of`
reads those dimensions from a course model's configuration (TinyViT, TinyGPT, MiniLM), and
:func:`measured_params` / :func:`measured_flops` count the same things on the real modules, so
the formulas are checked against ``numel()`` and ``torch.utils.flop_counter``.

Components (:data:`COMPONENTS`), the same words everywhere in the course:

- ``embeddings``: token, position and token-type tables; a ViT's patch projection and [CLS]
  token;
- ``attention_proj``: the query, key, value and output projections, four ``d x d`` linear layers
  per block;
- ``attention_scores``: attention itself, ``Q K^T`` and the weighted sum ``A V``: no parameters,
  but FLOPs that grow with the square of the sequence length;
- ``ffn``: the feed-forward network, ``d -> ffn_dim -> d``;
- ``norms``: every LayerNorm (a gain and a bias of ``d`` values each);
- ``head``: the output layer (a classifier on the [CLS] token, or a language-model head on every
  token); MiniLM has none, it averages its last hidden states.

**FLOP convention** (the course's, and ``torch.utils.flop_counter``'s): a multiply-add counts as
2 FLOPs, and only matrix products are counted: a linear layer on ``T`` tokens costs
``2 * T * in_features * out_features``; ``Q K^T`` and ``A V`` cost ``2 * T * T * d`` each, summed
over the heads (``d = num_heads * head_dim``). Elementwise work (bias additions, softmax, GELU,
LayerNorm, residual additions) and embedding lookups count as 0 FLOPs: it is a few operations per
activation, not per weight, and chapter 1's profile shows what it costs in time instead. Causal
masking is ignored: like the FLOP counter, we count the full ``T x T`` products.

**Bytes**: weight matrices (embedding tables, linear weights) take ``weight_bits`` per value;
vectors (biases, norm gains and biases, the [CLS] token) stay at ``float_bits``, as they do in
every quantization recipe of the course. Scales and zero-points are not counted (chapter 2
adds them).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from qtlib.eval.memory import _stored_tensors, module_kind, tensor_bytes
from qtlib.utils.validation import check_int

COMPONENTS = ("embeddings", "attention_proj", "attention_scores", "ffn", "norms", "head")
#: Readable names of the components, for tables and plots.
LABELS = {"embeddings": "embeddings", "attention_proj": "attention projections",
          "attention_scores": "attention scores (QK^T, AV)", "ffn": "feed-forward (FFN)",
          "norms": "norms", "head": "head"}
METRICS = ("params", "flops", "bytes")


@dataclass(frozen=True)
class TransformerDims:
    """The dimensions that decide a transformer's parameters, FLOPs and bytes.

    ``dim`` is the width d, ``depth`` the number of blocks, ``ffn_dim`` the FFN's hidden width,
    ``seq_len`` the tokens of one forward pass (T). Embeddings: ``vocab_size`` token rows,
    ``max_positions`` learned position rows, ``type_vocab_size`` token-type rows (BERT),
    ``patch_dim`` input features of a ViT's patch projection (0: none), ``cls_token`` a learned
    [CLS] vector. Head: ``num_outputs`` outputs (0: no head), applied to every token
    (``head_on_all_tokens``, a language model) or to the first one only (a classifier), with or
    without a bias. Each block holds two LayerNorms; ``extra_norms`` counts those outside the
    blocks (a final norm, or BERT's embedding norm). Every linear layer of a block has a bias
    when ``bias`` is True. ``num_heads`` must divide ``dim``; it changes neither parameters nor
    FLOPs, only how the width is split.
    """

    dim: int
    depth: int
    num_heads: int
    ffn_dim: int
    seq_len: int
    vocab_size: int = 0
    max_positions: int = 0
    type_vocab_size: int = 0
    patch_dim: int = 0
    cls_token: bool = False
    num_outputs: int = 0
    head_on_all_tokens: bool = True
    head_bias: bool = True
    extra_norms: int = 1
    bias: bool = True
    name: str = "custom"

    def __post_init__(self) -> None:
        for field, minimum in (("dim", 1), ("depth", 0), ("num_heads", 1), ("ffn_dim", 1),
                               ("seq_len", 1), ("vocab_size", 0), ("max_positions", 0),
                               ("type_vocab_size", 0), ("patch_dim", 0), ("num_outputs", 0),
                               ("extra_norms", 0)):
            check_int(getattr(self, field), field, low=minimum)
        if self.dim % self.num_heads:
            raise ValueError(f"num_heads ({self.num_heads}) must divide dim ({self.dim}): each "
                             "head gets dim // num_heads channels")
        if self.max_positions and self.seq_len > self.max_positions:
            raise ValueError(f"seq_len ({self.seq_len}) exceeds max_positions "
                             f"({self.max_positions}): the model has no position embedding for "
                             "the extra tokens")
        if self.cls_token and self.seq_len < 2:
            raise ValueError("seq_len must be >= 2 with a [CLS] token (one token plus one patch)")

    def replace(self, **changes: Any) -> TransformerDims:
        """A copy with some fields changed (``dims.replace(seq_len=512)``), checked again."""
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class Breakdown:
    """Per-component ``params``, ``flops`` (one forward pass) and ``bytes`` of one model."""

    dims: TransformerDims
    params: dict[str, int]
    flops: dict[str, int]
    bytes: dict[str, int]
    weight_bits: int = 32

    def metric(self, metric: str) -> dict[str, int]:
        """The per-component dict of ``metric`` ("params", "flops" or "bytes")."""
        if metric not in METRICS:
            raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
        return getattr(self, metric)

    def total(self, metric: str) -> int:
        return sum(self.metric(metric).values())

    def shares(self, metric: str) -> dict[str, float]:
        """Fraction of the total of ``metric`` in each component (0.0 when the total is 0)."""
        values, total = self.metric(metric), self.total(metric)
        return {c: (v / total if total else 0.0) for c, v in values.items()}

    def dominant(self, metric: str) -> str:
        """The component with the largest ``metric`` (the first in COMPONENTS on a tie)."""
        values = self.metric(metric)
        return max(COMPONENTS, key=lambda c: (values[c], -COMPONENTS.index(c)))

    def to_frame(self):
        """A pandas DataFrame: one row per component, columns params, flops, bytes and shares."""
        import pandas as pd

        frame = pd.DataFrame({m: self.metric(m) for m in METRICS}).reindex(list(COMPONENTS))
        for m in METRICS:
            total = frame[m].sum()
            frame[f"{m}_share"] = frame[m] / total if total else 0.0
        frame.index.name = "component"
        return frame


def _bytes(num_values: int, bits: int) -> int:
    return (num_values * bits + 7) // 8


def breakdown(dims: TransformerDims, *, weight_bits: int = 32,
              float_bits: int = 32) -> Breakdown:
    """Parameters, FLOPs of one forward pass over ``dims.seq_len`` tokens, and bytes, per component.

    Pure arithmetic on ``dims`` (see the module docstring for the FLOP and byte conventions).
    With ``d = dim``, ``f = ffn_dim``, ``T = seq_len``, ``L = depth``, per block: attention
    projections ``4 d^2`` weights (+ ``4 d`` biases) and ``8 T d^2`` FLOPs; attention scores
    ``4 T^2 d`` FLOPs; FFN ``2 d f`` weights (+ ``f + d`` biases) and ``4 T d f`` FLOPs; two
    norms of ``2 d`` values.
    """
    if not isinstance(dims, TransformerDims):
        raise TypeError(f"dims must be a TransformerDims, got {type(dims).__name__}")
    for name, bits in (("weight_bits", weight_bits), ("float_bits", float_bits)):
        if isinstance(bits, bool) or bits not in (1, 2, 3, 4, 5, 6, 7, 8, 16, 32, 64):
            raise ValueError(f"{name} must be one of 1-8, 16, 32 or 64, got {bits!r}")
    d, f, t, layers = dims.dim, dims.ffn_dim, dims.seq_len, dims.depth
    b = int(dims.bias)
    patches = t - int(dims.cls_token)
    head_tokens = t if dims.head_on_all_tokens else 1
    # (matrix values, vector values) per component
    stored = {
        "embeddings": ((dims.vocab_size + dims.max_positions + dims.type_vocab_size
                        + dims.patch_dim) * d,
                       d * int(dims.cls_token) + d * int(dims.patch_dim > 0)),
        "attention_proj": (layers * 4 * d * d, layers * 4 * d * b),
        "attention_scores": (0, 0),
        "ffn": (layers * 2 * d * f, layers * (f + d) * b),
        "norms": (0, (2 * layers + dims.extra_norms) * 2 * d),
        "head": (d * dims.num_outputs, dims.num_outputs * int(dims.head_bias)),
    }
    flops = {
        "embeddings": 2 * patches * dims.patch_dim * d,
        "attention_proj": layers * 2 * t * d * 4 * d,
        "attention_scores": layers * 2 * 2 * t * t * d,
        "ffn": layers * 2 * 2 * t * d * f,
        "norms": 0,
        "head": 2 * head_tokens * d * dims.num_outputs,
    }
    params = {c: m + v for c, (m, v) in stored.items()}
    nbytes = {c: _bytes(m, weight_bits) + _bytes(v, float_bits) for c, (m, v) in stored.items()}
    return Breakdown(dims=dims, params=params, flops=flops, bytes=nbytes, weight_bits=weight_bits)


def sweep(dims: TransformerDims, field: str, values: Iterable[int], metric: str = "flops", *,
          weight_bits: int = 32):
    """Shares of ``metric`` per component as ``field`` of ``dims`` takes each of ``values``.

    Returns a pandas DataFrame indexed by the values (named ``field``), one column per component.
    Changing ``seq_len`` beyond ``max_positions`` grows the position table with it, as a model
    trained on longer sequences would.
    """
    import pandas as pd

    if field not in {f.name for f in dataclasses.fields(TransformerDims)} or field == "name":
        raise ValueError(f"field must be a numeric field of TransformerDims, got {field!r}")
    rows = {}
    for value in values:
        changes: dict[str, Any] = {field: value}
        if field == "seq_len" and dims.max_positions and value > dims.max_positions:
            changes["max_positions"] = value
        rows[value] = breakdown(dims.replace(**changes), weight_bits=weight_bits).shares(metric)
    frame = pd.DataFrame.from_dict(rows, orient="index")[list(COMPONENTS)]
    frame.index.name = field
    return frame


# --- the course models' dimensions ---------------------------------------------------------------

def dims_from_config(config: Any, *, seq_len: int | None = None,
                     name: str | None = None) -> TransformerDims:
    """The :class:`TransformerDims` of a course model's configuration.

    Recognised by their fields: a TinyViT config (``patch_size``; T = patches + 1, a classifier
    on the [CLS] token), a TinyGPT config (``block_size``; T defaults to ``block_size``, an LM head
    without bias on every token), or a transformers BERT config such as MiniLM's
    (``hidden_size``, ``intermediate_size``; T defaults to 128, the course's latency shape; no
    head, since MiniLM pools). ``seq_len`` overrides T where the model allows it.
    """
    fields = getattr(config, "__dict__", {})
    if "patch_size" in fields:
        patches = (config.image_size // config.patch_size) ** 2
        if seq_len is not None and seq_len != patches + 1:
            raise ValueError(f"a TinyViT of {config.image_size}x{config.image_size} images "
                             f"always sees {patches + 1} tokens, got seq_len={seq_len}")
        return TransformerDims(
            dim=config.dim, depth=config.depth, num_heads=config.num_heads,
            ffn_dim=config.mlp_ratio * config.dim, seq_len=patches + 1,
            max_positions=patches + 1, patch_dim=config.in_channels * config.patch_size ** 2,
            cls_token=True, num_outputs=config.num_classes, head_on_all_tokens=False,
            name=name or "TinyViT")
    if "block_size" in fields:
        return TransformerDims(
            dim=config.dim, depth=config.depth, num_heads=config.num_heads,
            ffn_dim=getattr(config, "mlp_ratio", 4) * config.dim,  # TinyGPT's MLP is 4 x dim
            seq_len=config.block_size if seq_len is None else seq_len,
            vocab_size=config.vocab_size, max_positions=config.block_size,
            num_outputs=config.vocab_size, head_bias=False, name=name or "TinyGPT")
    if "hidden_size" in fields and "intermediate_size" in fields:
        return TransformerDims(
            dim=config.hidden_size, depth=config.num_hidden_layers,
            num_heads=config.num_attention_heads, ffn_dim=config.intermediate_size,
            seq_len=128 if seq_len is None else seq_len, vocab_size=config.vocab_size,
            max_positions=config.max_position_embeddings,
            type_vocab_size=config.type_vocab_size, name=name or "MiniLM")
    raise TypeError(f"unknown configuration {type(config).__name__}: expected a TinyViT or "
                    "TinyGPT config, or a BERT config (MiniLM)")


def dims_of(model: nn.Module, *, seq_len: int | None = None) -> TransformerDims:
    """:func:`dims_from_config` of a course model: reads ``model.cfg`` or ``model.bert.config``."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    config = getattr(model, "cfg", None)
    if config is None and hasattr(model, "bert"):
        config = model.bert.config
    if config is None:
        raise TypeError(f"{type(model).__name__} has no .cfg or .bert.config; build its "
                        "TransformerDims by hand")
    return dims_from_config(config, seq_len=seq_len, name=type(model).__name__)


# --- the same figures, counted on the real modules ----------------------------------------------

def component_of(path: str, module: nn.Module, tensor_name: str = "") -> str:
    """The component of a tensor owned by ``module`` (at ``path``), or of the module's own FLOPs.

    Built on :func:`qtlib.eval.memory.module_kind`: norms and embeddings as it says; inside an
    attention module, a linear layer is an ``attention_proj`` and anything else (the module's own
    matrix products) ``attention_scores``; another linear layer is ``ffn`` inside a numbered
    block (``blocks.0.mlp.fc1``, ``encoder.layer.3.output.dense``) and ``head`` outside one. A
    tensor held directly by a container (TinyViT's ``cls_token``, ``pos_embed``) is an embedding
    when its name says embed or token.
    """
    if tensor_name and any(s in tensor_name.lower() for s in ("embed", "token")):
        return "embeddings"
    kind = module_kind(path, module)
    is_linear = isinstance(module, nn.Linear) or "Linear" in type(module).__name__
    if kind in ("norms", "embeddings"):
        return kind
    if kind == "attention":
        return "attention_proj" if is_linear else "attention_scores"
    if is_linear:
        return "ffn" if any(part.isdigit() for part in path.split(".")) else "head"
    return "other"


def measured_params(model: nn.Module) -> dict[str, int]:
    """``numel()`` of ``model``'s parameters per component (see :func:`component_of`).

    Buffers are not parameters (MiniLM's int64 ``position_ids`` are not counted); a parameter
    shared by two modules is counted once. Keys: :data:`COMPONENTS`, plus ``other`` if any
    parameter fits none.
    """
    counts = dict.fromkeys(COMPONENTS, 0)
    seen: set[int] = set()
    for path, module in model.named_modules():
        for name, p in module.named_parameters(recurse=False):
            if id(p) in seen:
                continue
            seen.add(id(p))
            component = component_of(path, module, name if list(module.children()) else "")
            counts[component] = counts.get(component, 0) + p.numel()
    return counts


def _cpu_sdpa_flops(query, key, value, *args: Any, out_shape=None, **kwargs: Any) -> int:
    from torch.utils.flop_counter import sdpa_flop_count

    return sdpa_flop_count(query, key, value)


def measured_flops(model: nn.Module, inputs: Any) -> dict[str, int]:
    """FLOPs of one call of ``model`` on ``inputs`` per component, by ``torch.utils.flop_counter``.

    ``inputs`` is called the course's way (Tensor -> model(x), tuple -> model(*x), dict ->
    model(**x)). Each module's own FLOPs (its total minus its children's) go to its component;
    the attention modules' own matrix products are ``attention_scores``. The counter has no
    formula for PyTorch's CPU attention kernel (``_scaled_dot_product_flash_attention_for_cpu``),
    so this function adds the one it uses for the GPU kernels (checked with torch 2.13).
    """
    from torch.utils.flop_counter import FlopCounterMode

    from qtlib.utils.calling import call_with

    custom = {}
    cpu_sdpa = getattr(torch.ops.aten, "_scaled_dot_product_flash_attention_for_cpu", None)
    if cpu_sdpa is not None:
        custom[cpu_sdpa] = _cpu_sdpa_flops
    counter = FlopCounterMode(display=False, custom_mapping=custom)
    with counter, torch.inference_mode():
        call_with(model, inputs)
    totals = {module: sum(ops.values()) for module, ops in counter.get_flop_counts().items()}
    root = type(model).__name__
    counts = dict.fromkeys(COMPONENTS, 0)
    for path, module in model.named_modules():
        key = f"{root}.{path}" if path else root
        own = totals.get(key, 0) - sum(totals.get(f"{key}.{child}", 0)
                                       for child, _ in module.named_children())
        if own:
            component = component_of(path, module)
            counts[component] = counts.get(component, 0) + own
    unattributed = totals.get("Global", 0) - sum(counts.values())
    if unattributed:
        counts["other"] = counts.get("other", 0) + unattributed
    return counts


def compare_with_model(dims: TransformerDims, model: nn.Module, inputs: Any):
    """A DataFrame per component: params and FLOPs from ``dims`` next to those counted on ``model``.

    Columns ``params``, ``params_counted``, ``flops``, ``flops_counted`` and ``match`` (True when
    both pairs agree exactly). ``inputs`` must hold ``dims.seq_len`` tokens.
    """
    import pandas as pd

    counted_p, counted_f = measured_params(model), measured_flops(model, inputs)
    formula = breakdown(dims)
    rows = {}
    extra = [k for k in counted_p | counted_f if k not in COMPONENTS
             and (counted_p.get(k) or counted_f.get(k))]
    for c in list(COMPONENTS) + extra:
        rows[c] = {"params": formula.params.get(c, 0), "params_counted": counted_p.get(c, 0),
                   "flops": formula.flops.get(c, 0), "flops_counted": counted_f.get(c, 0)}
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame["match"] = (frame["params"] == frame["params_counted"]) & (
        frame["flops"] == frame["flops_counted"])
    frame.index.name = "component"
    return frame


def measured_bytes(model: nn.Module) -> dict[str, dict[str, int]]:
    """Bytes ``model`` stores per component and dtype: ``{component: {"float32": bytes, ...}}``.

    Counts parameters and buffers (e.g. MiniLM's int64 position ids, a quantized layer's int8
    weights and float scales), each storage once, classified by :func:`component_of`. The sum
    over everything equals :func:`qtlib.eval.param_bytes_by_dtype` for models whose tensors all
    belong to modules.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    out: dict[str, dict[str, int]] = {}
    seen: set[tuple[int, int, torch.dtype]] = set()
    for path, module in model.named_modules():
        is_container = any(True for _ in module.children())
        for name, t in _stored_tensors(module, recurse=False):
            ident = (t.data_ptr(), t.numel(), t.dtype)
            if ident in seen:
                continue
            seen.add(ident)
            component = component_of(path, module, name if is_container else "")
            per = out.setdefault(component, {})
            dtype = str(t.dtype).removeprefix("torch.")
            per[dtype] = per.get(dtype, 0) + tensor_bytes(t)
    return out


__all__ = ["COMPONENTS", "LABELS", "METRICS", "Breakdown", "TransformerDims", "breakdown",
           "compare_with_model", "component_of", "dims_from_config", "dims_of",
           "measured_bytes", "measured_flops", "measured_params", "sweep"]
