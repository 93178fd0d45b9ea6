import statistics
import time


def median_latency_ms(fn, *, warmup=3, repeats=20, clock=time.perf_counter):
    """Forgets to convert seconds to milliseconds."""
    for _ in range(warmup):
        fn()
    timings = []
    for _ in range(repeats):
        start = clock()
        fn()
        timings.append(clock() - start)
    return float(statistics.median(timings))
