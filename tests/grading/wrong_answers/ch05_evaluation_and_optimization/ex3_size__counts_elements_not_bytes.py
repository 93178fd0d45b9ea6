def serialized_size_bytes(model):
    """Counts elements of the state dict instead of the bytes torch.save writes."""
    return int(sum(t.numel() for t in model.state_dict().values()))
