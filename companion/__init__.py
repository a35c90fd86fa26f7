"""Companion package of *Deep Learning for User Behavior Sequences*.

The top level is framework-neutral: importing :mod:`companion` imports neither
PyTorch nor TensorFlow. Framework code lives in :mod:`companion.torch` and
:mod:`companion.keras`, which mirror each other.
"""
from __future__ import annotations

import os
import random
import sys

__version__ = "0.1.0"

#: Thread count used for every CPU run, so results do not depend on the machine's core count.
THREADS = 2

# Quiet, deterministic TensorFlow. These must be set before TensorFlow is imported;
# setdefault leaves a reader's own choice alone.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")
os.environ.setdefault("KMP_WARNINGS", "0")

from .data import check_event_log, load_movielens_100k  # noqa: E402  (after the env setup)

__all__ = [
    "THREADS",
    "check_event_log",
    "device",
    "device_name",
    "load_movielens_100k",
    "on_colab",
    "seed_everything",
]


def on_colab() -> bool:
    """True when running inside Google Colab."""
    return "google.colab" in sys.modules


def device():
    """The best PyTorch device here: CUDA, then Apple MPS, then CPU.

    Imports PyTorch on first call (``import companion`` alone does not).
    """
    import torch

    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def device_name() -> str:
    """A short, human-readable description of :func:`device` (``"cpu"``, ``"cuda (NVIDIA H100)"``)."""
    dev = device()
    if dev.type == "cuda":
        import torch

        return f"cuda ({torch.cuda.get_device_name(0)})"
    return dev.type


def seed_everything(seed: int = 0, *, deterministic: bool = True, frameworks=None) -> int:
    """Seed Python, NumPy and the deep-learning frameworks; make CPU runs reproducible.

    Parameters
    ----------
    seed:
        The seed.
    deterministic:
        Ask PyTorch and TensorFlow for deterministic kernels and fix their thread
        count to :data:`THREADS`, so outputs are bit-for-bit repeatable on CPU.
    frameworks:
        Which of ``"torch"`` and ``"keras"`` to seed. ``None`` (default) seeds
        PyTorch when it is installed and Keras/TensorFlow only when already
        imported, so that calling this never pulls in TensorFlow by surprise.
    """
    import numpy as np

    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    seed = int(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)

    if frameworks is None:
        frameworks = []
        try:
            import importlib.util

            if importlib.util.find_spec("torch") is not None:
                frameworks.append("torch")
        except (ImportError, ValueError):
            pass
        if "keras" in sys.modules or "tensorflow" in sys.modules:
            frameworks.append("keras")
    unknown = set(frameworks) - {"torch", "keras"}
    if unknown:
        raise ValueError(f"unknown frameworks {sorted(unknown)}; use 'torch' and/or 'keras'")

    if "torch" in frameworks:
        import torch

        torch.manual_seed(seed)
        if torch.cuda.is_available():
            torch.cuda.manual_seed_all(seed)
        if deterministic:
            os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
            torch.use_deterministic_algorithms(True, warn_only=True)
            torch.backends.cudnn.benchmark = False
            torch.set_num_threads(THREADS)
    if "keras" in frameworks:
        import keras

        keras.utils.set_random_seed(seed)
        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            if deterministic:
                tf.config.experimental.enable_op_determinism()
                try:
                    tf.config.threading.set_intra_op_parallelism_threads(THREADS)
                    tf.config.threading.set_inter_op_parallelism_threads(1)
                except RuntimeError:  # TensorFlow already initialised: keep its threads
                    pass
    return seed
