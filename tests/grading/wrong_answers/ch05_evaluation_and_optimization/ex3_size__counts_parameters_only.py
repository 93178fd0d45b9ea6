def serialized_size_bytes(model):
    """Counts parameter bytes only: misses buffers (packed integer weights) and the file format."""
    return sum(p.numel() * p.element_size() for p in model.parameters())
