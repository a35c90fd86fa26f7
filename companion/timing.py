"""Wall-clock timing for the book's speed comparisons (cells marked ``NBVAL_IGNORE_OUTPUT``)."""
from __future__ import annotations

import time

__all__ = ["best_time"]


def best_time(fn, repeats: int = 5, *, sync=None) -> float:
    """The best of ``repeats`` wall-clock times of ``fn()``, in seconds.

    The minimum is the measurement least disturbed by other work on the machine. ``sync``
    (e.g. ``torch.cuda.synchronize``) is called after each call, so that asynchronous GPU
    work is counted in the time.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        if sync is not None:
            sync()
        best = min(best, time.perf_counter() - start)
    return best
