"""Train the course's small models, write their checkpoints: ``python -m qtlib.models.train NAME``.

``NAME`` is ``tinyvit-digits`` (well under a minute on a quiet machine) or ``tinygpt``
(under 10 minutes).
Training is deterministic: fixed seeds, one thread (so float sums do not depend on the number of
cores), data order from a seeded generator, no early stopping on test data; re-running gives the
same weights on the same machine and torch version. Each run writes ``checkpoints/NAME.pt``
(config, float32 state dict, training record) and ``checkpoints/NAME.json`` (the training record:
steps, time, test metrics), which ``qtlib.models.load(NAME)`` reads and a test checks against the
targets (TinyViT test accuracy >= 0.95; TinyGPT test bits per byte well below the unigram
baseline).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from qtlib.data import corpus_bytes, digits
from qtlib.eval.quality import accuracy, language_model_loss, unigram_loss
from qtlib.models import CHECKPOINT_DIR
from qtlib.models.tinygpt import TinyGPT, TinyGPTConfig
from qtlib.models.tinyvit import TinyViT, TinyViTConfig
from qtlib.utils.progress import progress_bar

TRAIN_THREADS = 1


def _lr(step: int, total: int, peak: float, warmup: int) -> float:
    """Linear warm-up to ``peak`` then cosine decay to ``peak / 10``."""
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def _shift_images(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Augmentation: shift each image by -1, 0 or +1 pixel in each direction (zero fill)."""
    padded = F.pad(x, (1, 1, 1, 1))
    dy, dx = torch.randint(0, 3, (2, x.size(0)), generator=gen)
    return torch.stack([padded[i, :, dy[i]:dy[i] + 8, dx[i]:dx[i] + 8] for i in range(x.size(0))])


def train_tinyvit(*, epochs: int = 60, batch_size: int = 64, lr: float = 3e-3, seed: int = 0,
                  progress: bool | None = None) -> tuple[TinyViT, dict[str, Any]]:
    """Train TinyViT on ``digits("train")``; returns the eval-mode model and a training record."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    x, y = digits("train").tensors
    model = TinyViT(TinyViTConfig())
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.05)
    steps_per_epoch = math.ceil(len(y) / batch_size)
    total = epochs * steps_per_epoch
    start, step = time.perf_counter(), 0
    model.train()
    for _ in progress_bar(range(epochs), desc="tinyvit epochs", progress=progress):
        order = torch.randperm(len(y), generator=gen)
        for i in range(0, len(y), batch_size):
            idx = order[i:i + batch_size]
            for group in opt.param_groups:
                group["lr"] = _lr(step, total, lr, warmup=steps_per_epoch)
            loss = F.cross_entropy(model(_shift_images(x[idx], gen)), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
    seconds = time.perf_counter() - start
    model.eval()
    record = {"steps": step, "epochs": epochs, "batch_size": batch_size, "lr": lr, "seed": seed,
              "train_seconds": round(seconds, 1),
              "train_accuracy": accuracy(model, digits("train")),
              "test_accuracy": accuracy(model, digits("test"))}
    return model, record


def _batch(data: torch.Tensor, block: int, batch_size: int,
           gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    starts = torch.randint(0, data.numel() - block - 1, (batch_size,), generator=gen)
    x = torch.stack([data[s:s + block] for s in starts.tolist()])
    y = torch.stack([data[s + 1:s + block + 1] for s in starts.tolist()])
    return x, y


def train_tinygpt(*, steps: int = 2000, batch_size: int = 32, lr: float = 2e-3, seed: int = 0,
                  evaluate: bool = True,
                  progress: bool | None = None) -> tuple[TinyGPT, dict[str, Any]]:
    """Train TinyGPT on the train split of the stdlib-docstring corpus (random windows)."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    cfg = TinyGPTConfig()
    train = corpus_bytes("train")
    model = TinyGPT(cfg)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                             {"params": no_decay, "weight_decay": 0.0}], lr=lr, betas=(0.9, 0.95))
    start = time.perf_counter()
    model.train()
    losses = []
    for step in progress_bar(range(steps), desc="tinygpt steps", progress=progress):
        for group in opt.param_groups:
            group["lr"] = _lr(step, steps, lr, warmup=min(200, steps // 10 + 1))
        x, y = _batch(train, cfg.block_size, batch_size, gen)
        loss = F.cross_entropy(model(x).reshape(-1, cfg.vocab_size), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
    seconds = time.perf_counter() - start
    model.eval()
    record: dict[str, Any] = {"steps": steps, "batch_size": batch_size, "lr": lr, "seed": seed,
                              "train_seconds": round(seconds, 1),
                              "final_train_loss": sum(losses[-50:]) / len(losses[-50:])}
    if evaluate:
        for split in ("validation", "test"):
            m = language_model_loss(model, corpus_bytes(split), progress=progress)
            record[f"{split}_bits_per_byte"] = m["bits_per_token"]
            record[f"{split}_perplexity"] = m["perplexity"]
        base = unigram_loss(train, corpus_bytes("test"))
        record["unigram_test_bits_per_byte"] = base["bits_per_token"]
        record["unigram_test_perplexity"] = base["perplexity"]
    return model, record


TRAINERS = {"tinyvit-digits": train_tinyvit, "tinygpt": train_tinygpt}


def save_checkpoint(name: str, model: torch.nn.Module, record: dict[str, Any],
                    directory: Path = CHECKPOINT_DIR) -> Path:
    """Write ``NAME.pt`` ({name, config, state_dict, record}) and ``NAME.json`` (the record)."""
    directory.mkdir(parents=True, exist_ok=True)
    record = {**record, "torch_version": str(torch.__version__), "threads": TRAIN_THREADS}
    path = directory / f"{name}.pt"
    torch.save({"name": name, "config": asdict(model.cfg), "record": record,
                "state_dict": {k: v.contiguous() for k, v in model.state_dict().items()}}, path)
    (directory / f"{name}.json").write_text(json.dumps(record, indent=1) + "\n")
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", choices=sorted(TRAINERS))
    parser.add_argument("--out", type=Path, default=CHECKPOINT_DIR, help="checkpoint folder")
    parser.add_argument("--steps", type=int, default=None, help="TinyGPT steps (default 2000)")
    args = parser.parse_args(argv)
    threads = torch.get_num_threads()
    torch.set_num_threads(TRAIN_THREADS)
    try:
        kwargs = {"steps": args.steps} if args.steps and args.name == "tinygpt" else {}
        model, record = TRAINERS[args.name](progress=True, **kwargs)
    finally:
        torch.set_num_threads(threads)
    path = save_checkpoint(args.name, model, record, args.out)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")
    print(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
