import time

import torch


def median_latency_ms(fn, *, warmup=3, repeats=20, clock=time.perf_counter):
    """Uses torch.median, which returns the lower of the two middle values for an even count."""
    for _ in range(warmup):
        fn()
    timings = []
    for _ in range(repeats):
        start = clock()
        fn()
        timings.append(clock() - start)
    return float(torch.tensor(timings, dtype=torch.float64).median()) * 1000.0
