def state_dict_bytes(state_dict, components):
    out = {}
    for name, tensor in state_dict.items():
        dtype = str(tensor.dtype).removeprefix("torch.")
        per_dtype = out.setdefault(components[name], {})
        per_dtype[dtype] = per_dtype.get(dtype, 0) + tensor.numel()  # elements, not bytes
    return out
