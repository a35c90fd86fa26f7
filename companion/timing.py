"""Wall-clock timing for the book's speed comparisons (cells marked ``NBVAL_IGNORE_OUTPUT``)."""
from __future__ import annotations

import os
import time

__all__ = ["best_time", "default_kernels"]

# Settings that force PyTorch's math libraries off the CPU's vector units (the portability run,
# `make test-portable`): results stay comparable, speed does not.
FORCED_KERNELS = ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA", "MKL_ENABLE_INSTRUCTIONS")


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


def default_kernels() -> bool:
    """True unless PyTorch's kernels were forced onto other instruction sets (see ``FORCED_KERNELS``).

    A speed claim about a fused kernel (oneDNN's LSTM against a Python loop) holds on the
    kernels a reader's machine normally runs; with oneDNN capped at SSE4.1 the fused LSTM is
    no faster than the loop, so such a claim is only asserted when this is True.
    """
    return not any(os.environ.get(name) for name in FORCED_KERNELS)
