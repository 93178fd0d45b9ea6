def bytes_per_weight(num_bits, group_size, in_features, scale_bytes=4, zero_point_bytes=0):
    # counts the codes only
    return num_bits / 8
