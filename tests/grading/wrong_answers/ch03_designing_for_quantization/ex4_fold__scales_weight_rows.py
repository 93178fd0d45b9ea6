def fold_into_layernorm(ln_weight, ln_bias, weight, s):
    # multiplies the weight's rows (outputs) instead of its columns (inputs)
    return ln_weight / s, ln_bias / s, weight * s[: weight.shape[0]].unsqueeze(1) \
        if weight.shape[0] <= s.shape[0] else weight * s.unsqueeze(0)


def fold_into_linear(prev_weight, prev_bias, weight, s):
    return prev_weight / s.unsqueeze(1), prev_bias / s, weight * s.unsqueeze(0)
