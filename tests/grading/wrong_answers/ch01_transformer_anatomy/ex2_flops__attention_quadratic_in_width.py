def linear_flops(tokens, in_features, out_features):
    return 2 * tokens * in_features * out_features


def attention_flops(seq_len, dim):
    # confuses attention itself with the d x d projections
    return 2 * 2 * seq_len * dim * dim
