def smoothing_scales(act_absmax, weight_absmax, alpha):
    # alpha on the weight, 1 - alpha on the activation
    a = act_absmax.float().clamp(min=1e-5)
    w = weight_absmax.float().clamp(min=1e-5)
    return (a.pow(1 - alpha) / w.pow(alpha)).clamp(min=1e-5)
