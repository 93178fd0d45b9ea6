def linear_flops(tokens, in_features, out_features):
    # one per multiply-add instead of two
    return tokens * in_features * out_features


def attention_flops(seq_len, dim):
    return 2 * seq_len * seq_len * dim
