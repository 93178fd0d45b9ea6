def bytes_per_weight(num_bits, group_size, in_features, scale_bytes=4, zero_point_bytes=0):
    # counts the scales but not the zero-points
    group = in_features if group_size is None else group_size
    return num_bits / 8 + scale_bytes / group
