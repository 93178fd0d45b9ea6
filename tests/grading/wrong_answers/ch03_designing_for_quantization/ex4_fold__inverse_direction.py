def fold_into_layernorm(ln_weight, ln_bias, weight, s):
    # multiplies the LayerNorm by s and divides the weight: the product is unchanged, but the
    # activation grows instead of shrinking
    return ln_weight * s, ln_bias * s, weight / s.unsqueeze(0)


def fold_into_linear(prev_weight, prev_bias, weight, s):
    # divides the previous weight's columns (its inputs) instead of its rows
    return prev_weight / s.unsqueeze(0) if prev_weight.shape[1] == s.shape[0] else prev_weight, \
        prev_bias / s, weight * s.unsqueeze(0)
