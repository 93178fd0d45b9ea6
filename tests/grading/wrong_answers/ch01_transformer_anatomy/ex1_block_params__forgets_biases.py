def encoder_block_params(dim, ffn_dim):
    # weight matrices and the norms, but no bias of the linear layers
    return 4 * dim * dim + 2 * dim * ffn_dim + 2 * (2 * dim)
