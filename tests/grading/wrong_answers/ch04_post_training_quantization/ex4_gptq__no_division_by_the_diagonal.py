import torch


def gptq_column_step(weight, hinv_row, column, scale, num_bits):
    # spreads the raw error, not the error divided by hinv_row[column]
    w = weight.detach().float().clone()
    qmin, qmax = -(2 ** (num_bits - 1)), 2 ** (num_bits - 1) - 1
    codes = torch.clamp(torch.round(w[:, column] * (1.0 / scale)), qmin, qmax)
    err = w[:, column] - codes * scale
    w[:, column + 1:] -= err[:, None] * hinv_row[None, column + 1:]
    w[:, column] = codes * scale
    return w, codes.to(torch.int8)
