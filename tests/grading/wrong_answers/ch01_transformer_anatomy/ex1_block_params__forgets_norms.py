def encoder_block_params(dim, ffn_dim):
    # attention and FFN with their biases, but no LayerNorm
    return 4 * (dim * dim + dim) + dim * ffn_dim + ffn_dim + ffn_dim * dim + dim
