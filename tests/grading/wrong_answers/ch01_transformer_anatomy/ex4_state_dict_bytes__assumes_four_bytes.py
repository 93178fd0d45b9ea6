def state_dict_bytes(state_dict, components):
    out = {}
    for name, tensor in state_dict.items():
        dtype = str(tensor.dtype).removeprefix("torch.")
        per_dtype = out.setdefault(components[name], {})
        per_dtype[dtype] = per_dtype.get(dtype, 0) + 4 * tensor.numel()  # as if all float32
    return out
