"""Churn models (Keras 3), the mirror of :mod:`companion.torch.churn`: :class:`RecurrentHazard`
(a GRU/LSTM with a discrete-time logistic-hazard head), the person-period loss, and predictions.
The fixed-window classifier is :class:`companion.keras.RecurrentClassifier` with one logit.

The GRU uses ``reset_after=True`` (PyTorch's convention), so :func:`companion.keras.load_torch`
copies a trained PyTorch model into this one exactly (the gate blocks reordered, see
:mod:`companion.keras.porting`).
"""
from __future__ import annotations

import numpy as np

import companion as _companion  # noqa: F401  (quiet TensorFlow start-up)
import keras
from keras import layers, ops

from .._checks import check_int

__all__ = ["RecurrentHazard", "hazard_loss", "predict_hazard", "predict_window", "window_loss"]

_KINDS = {"gru": layers.GRU, "lstm": layers.LSTM}


class RecurrentHazard(keras.Model):
    """``(batch, time, input_size)`` → GRU/LSTM → last hidden state → ``(batch, n_periods)`` hazard logits."""

    def __init__(self, input_size: int, hidden_size: int, n_periods: int, *, kind: str = "gru", **kwargs):
        kwargs.setdefault("name", "RecurrentHazard")
        super().__init__(**kwargs)
        if kind not in _KINDS:
            raise ValueError(f"kind must be one of {sorted(_KINDS)}, got {kind!r}")
        self.kind = kind
        self.input_size = check_int("input_size", input_size)
        self.hidden_size = check_int("hidden_size", hidden_size)
        self.n_periods = check_int("n_periods", n_periods)
        extra = {"reset_after": True} if kind == "gru" else {}
        self.rnn = _KINDS[kind](self.hidden_size, name="rnn", **extra)
        self.head = layers.Dense(self.n_periods, name="head")
        self.build(None)

    def build(self, input_shape):
        self.rnn.build((None, None, self.input_size))
        self.head.build((None, self.hidden_size))
        self.built = True

    def call(self, x, training=None):
        x = ops.convert_to_tensor(x)
        if len(x.shape) != 3 or x.shape[-1] != self.input_size:
            raise ValueError(f"x must be (batch, time, {self.input_size}), got {tuple(x.shape)}")
        return self.head(self.rnn(x, training=training))


def hazard_loss(y_true, y_pred):
    """Person-period binary cross-entropy; ``y_true = [target | mask]`` ``(B, 2K)``, ``y_pred`` logits ``(B, K)``."""
    k = y_pred.shape[-1]
    y_true = ops.cast(y_true, y_pred.dtype)
    target, mask = y_true[:, :k], y_true[:, k:]
    # the numerically stable BCE on logits, elementwise (keras.ops.binary_crossentropy averages the last axis)
    bce = ops.maximum(y_pred, 0) - y_pred * target + ops.log1p(ops.exp(-ops.abs(y_pred)))
    return ops.mean(ops.sum(bce * mask, axis=1))


def window_loss(y_true, y_pred):
    """Binary cross-entropy on the one logit of a window classifier."""
    y = ops.cast(ops.reshape(y_true, (-1,)), y_pred.dtype)
    return ops.mean(ops.binary_crossentropy(y, ops.reshape(y_pred, (-1,)), from_logits=True))


def _predict(model, x, batch_size):
    logits = model.predict(np.asarray(x, dtype="float32"), batch_size=batch_size, verbose=0)
    return 1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=np.float64)))


def predict_hazard(model: keras.Model, x, batch_size: int = 4096) -> np.ndarray:
    """Hazards ``(n, n_periods)`` (sigmoid of the logits), inference mode, float64 NumPy."""
    return _predict(model, x, batch_size)


def predict_window(model: keras.Model, x, batch_size: int = 4096) -> np.ndarray:
    """Churn probabilities ``(n,)`` of a one-logit window classifier."""
    return _predict(model, x, batch_size).reshape(-1)
