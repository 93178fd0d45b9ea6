def dominant_component(seq_len, dim, ffn_dim):
    # only attention against the FFN, as if the projections could never win
    return "attention_scores" if seq_len > ffn_dim else "ffn"
