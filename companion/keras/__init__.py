"""Keras 3 implementations. Mirrors :mod:`companion.torch` (same names for the same models).

Runs on the TensorFlow backend by default; ``KERAS_BACKEND=torch`` or ``jax`` also work.
Import :mod:`companion` first so TensorFlow starts quietly.
"""
import companion as _companion  # noqa: F401  (sets the TensorFlow environment before keras loads)

from .training import History, fit  # noqa: F401,E402
