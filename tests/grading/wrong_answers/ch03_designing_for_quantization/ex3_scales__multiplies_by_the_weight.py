def smoothing_scales(act_absmax, weight_absmax, alpha):
    # multiplies by the weight's maximum instead of dividing
    a = act_absmax.float().clamp(min=1e-5)
    w = weight_absmax.float().clamp(min=1e-5)
    return (a.pow(alpha) * w.pow(1 - alpha)).clamp(min=1e-5)
