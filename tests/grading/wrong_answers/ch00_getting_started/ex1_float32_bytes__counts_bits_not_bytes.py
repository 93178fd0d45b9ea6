import torch


def float32_bytes(t: torch.Tensor) -> int:
    return t.numel() * 32
