def encoder_block_params(dim, ffn_dim):
    # query, key and value, but not the output projection
    return 3 * (dim * dim + dim) + dim * ffn_dim + ffn_dim + ffn_dim * dim + dim + 4 * dim
