def dominant_component(seq_len, dim, ffn_dim):
    # compares parameters, which do not depend on the sequence length
    params = {"attention_proj": 4 * dim * dim, "attention_scores": 0, "ffn": 2 * dim * ffn_dim}
    return max(params, key=params.get)
