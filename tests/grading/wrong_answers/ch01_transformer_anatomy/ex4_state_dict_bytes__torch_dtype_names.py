def state_dict_bytes(state_dict, components):
    out = {}
    for name, tensor in state_dict.items():
        per_dtype = out.setdefault(components[name], {})
        key = str(tensor.dtype)  # "torch.float32" instead of "float32"
        per_dtype[key] = per_dtype.get(key, 0) + tensor.numel() * tensor.element_size()
    return out
