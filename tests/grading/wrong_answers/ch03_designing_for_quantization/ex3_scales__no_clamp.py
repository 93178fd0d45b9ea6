def smoothing_scales(act_absmax, weight_absmax, alpha):
    # no guard: a dead channel or a zero weight column gives 0 or inf
    return act_absmax.float().pow(alpha) / weight_absmax.float().pow(1 - alpha)
