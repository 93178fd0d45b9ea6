def fold_into_layernorm(ln_weight, ln_bias, weight, s):
    # divides the LayerNorm's weight but not its bias
    return ln_weight / s, ln_bias.clone(), weight * s.unsqueeze(0)


def fold_into_linear(prev_weight, prev_bias, weight, s):
    # divides the previous weight but not its bias
    return prev_weight / s.unsqueeze(1), prev_bias.clone(), weight * s.unsqueeze(0)
