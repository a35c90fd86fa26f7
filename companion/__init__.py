"""Companion package of *Deep Learning for User Behavior Sequences*.

The layout rule (the README's "Layout" section says the same)
-------------------------------------------------------------

* **Framework-neutral code is organised by task** and imports neither PyTorch nor TensorFlow
  (``import companion`` stays fast): :mod:`companion.data` (event logs, datasets, synthetic
  generators and tasks, sequences, batching, features), :mod:`companion.metrics`,
  :mod:`companion.baselines`, :mod:`companion.next_item` (the next-item protocol and its model
  contract), :mod:`companion.forecasting` (a package: windows and scaling, forecasters,
  walk-forward evaluation, significance tests), :mod:`companion.evaluation` (the paired,
  user-grouped bootstrap), :mod:`companion.training` (the epoch loop's bookkeeping: early
  stopping, best weights, timing), :mod:`companion.results`, :mod:`companion.plotting`,
  :mod:`companion.diagrams` (the RNN, LSTM and GRU drawings of chapter 3),
  :mod:`companion.timing`, :mod:`companion.benchmark` (``make bench``: time per epoch and peak
  memory of every model), and, for the exercises and errata, :mod:`companion.exercises`
  (``check``, against the salted digests in ``exercise_keys.json``; the plain key is the
  repository's ``tests/answer_key/``, not installed), :mod:`companion.errata`, and the teacher
  tools of :mod:`companion.classroom` (student copies, otter-grader assignments).
* **Framework code is organised by model family**, with the same file names and the same class
  and function names in :mod:`companion.torch` and :mod:`companion.keras`: ``rnn`` (recurrent
  layers and the models built on one), ``attention``, ``recommenders`` (GRU4Rec, LSTM4Rec,
  Caser), ``sasrec``. The task harnesses sit beside them, again mirrored: ``training`` (the one
  ``fit``), ``next_item``, ``forecast``, ``purchase``. From-scratch lesson code that exists only
  in PyTorch is named ``Scratch…``. :func:`companion.keras.load_torch` is the one way to copy
  PyTorch weights into the Keras twin.
* **Where the later chapters live**: sequence-to-sequence models in ``torch/seq2seq.py`` and
  ``keras/seq2seq.py`` (decoding in the neutral ``decoding.py``, k-step metrics in ``kstep.py``, the
  task data in ``data/funnel.py``); variational autoencoders in ``torch/vae.py`` and ``keras/vae.py``
  (schedules and protocols in the neutral ``vae.py``, data in ``data/user_item.py`` and
  ``data/anomalies.py``);
  reinforcement learning in ``companion/rl/`` (gymnasium environments, bandit algorithms, planning,
  off-policy evaluation and the DQN loop, framework-neutral), with the agents in ``torch/agents.py``
  and ``keras/agents.py``; click-through models (Embedding&MLP, DIN, BST) in ``torch/ctr.py`` and
  ``keras/ctr.py``, their data in ``data/impressions.py`` and ``data/movielens.py``.
* Chapter-specific experiments live in a neutral task module or in the notebook, never in a
  layer module.
"""
from __future__ import annotations

import os
import random
import sys

__version__ = "0.1.0"

# Quiet, deterministic TensorFlow. These must be set before TensorFlow is imported;
# setdefault leaves a reader's own choice alone.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")
os.environ.setdefault("KMP_WARNINGS", "0")

from .data import check_event_log, load_movielens_100k  # noqa: E402  (after the env setup)

__all__ = [
    "check_event_log",
    "configure_tensorflow",
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


def configure_tensorflow() -> None:
    """Let TensorFlow take GPU memory as it needs it (memory growth) instead of all of it at
    start-up, so that PyTorch can still run in the same kernel. Called when
    :mod:`companion.keras` is imported and by :func:`seed_everything`; does nothing without
    TensorFlow or when its GPUs are already initialised."""
    if "tensorflow" not in sys.modules:
        try:
            import keras
        except ImportError:
            return
        if keras.backend.backend() != "tensorflow":
            return
    import tensorflow as tf

    for gpu in tf.config.list_physical_devices("GPU"):
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except (RuntimeError, ValueError):  # already initialised: too late to change, keep going
            pass


def seed_everything(seed: int = 0, *, deterministic: bool = True, frameworks=None, threads: int | None = 1) -> int:
    """Seed Python, NumPy and the deep-learning frameworks; make CPU runs reproducible.

    Parameters
    ----------
    seed:
        The seed.
    deterministic:
        Ask PyTorch and TensorFlow for deterministic kernels, so outputs are bit-for-bit
        repeatable on CPU.
    threads:
        The CPU thread count of PyTorch and TensorFlow (default 1, so results do not depend
        on the machine's core count; the book's models at their CPU size run as fast on one
        thread, and a busy machine, or a second test worker, cannot stall a thread pool).
        ``None`` leaves it alone.
    frameworks:
        Which of ``"torch"`` and ``"keras"`` to seed. ``None`` (default) seeds
        PyTorch when it is installed and Keras/TensorFlow only when already
        imported, so that calling this never pulls in TensorFlow by surprise.
    """
    import numpy as np

    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    seed = int(seed)
    if threads is not None and (isinstance(threads, bool) or int(threads) != threads or threads < 1):
        raise ValueError(f"threads must be a positive int or None, got {threads!r}")
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
        if threads is not None:
            torch.set_num_threads(int(threads))
    if "keras" in frameworks:
        import keras

        keras.utils.set_random_seed(seed)
        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            configure_tensorflow()
            if deterministic:
                tf.config.experimental.enable_op_determinism()
            if threads is not None:
                try:
                    tf.config.threading.set_intra_op_parallelism_threads(int(threads))
                    tf.config.threading.set_inter_op_parallelism_threads(1)
                except RuntimeError:  # TensorFlow already initialised: keep its threads
                    pass
    return seed
