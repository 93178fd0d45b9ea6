import statistics
import time


def median_latency_ms(fn, *, warmup=3, repeats=20, clock=time.perf_counter):
    """Times the first calls too (no warm-up)."""
    timings = []
    for _ in range(warmup + repeats):
        start = clock()
        fn()
        timings.append(clock() - start)
    return float(statistics.median(timings)) * 1000.0
