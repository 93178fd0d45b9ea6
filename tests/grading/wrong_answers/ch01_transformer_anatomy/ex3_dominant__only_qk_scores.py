def dominant_component(seq_len, dim, ffn_dim):
    flops = {
        "attention_proj": 8 * seq_len * dim * dim,
        "attention_scores": 2 * seq_len * seq_len * dim,  # A V forgotten
        "ffn": 4 * seq_len * dim * ffn_dim,
    }
    return max(flops, key=flops.get)
