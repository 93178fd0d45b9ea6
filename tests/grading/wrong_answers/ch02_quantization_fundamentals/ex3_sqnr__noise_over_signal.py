import math


def sqnr_db(x, x_hat):
    signal = x.double().pow(2).sum().item()
    noise = (x.double() - x_hat.double()).pow(2).sum().item()
    if noise == 0.0:
        return math.inf
    return 10.0 * math.log10(noise / signal)
