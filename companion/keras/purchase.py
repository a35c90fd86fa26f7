"""The purchase-prediction harness (Keras 3), the mirror of :mod:`companion.torch.purchase`: the loss
for :func:`companion.keras.fit` and the probabilities of a trained
:class:`companion.keras.PurchaseLSTM`. The batches come from :func:`companion.data.purchase_batches`.
"""
from __future__ import annotations

import numpy as np

import companion as _companion  # noqa: F401  (quiet TensorFlow start-up)
import keras

__all__ = ["predict_proba", "purchase_loss"]


def purchase_loss(y_true, y_pred):
    """Binary cross-entropy on logits (a Keras loss, ``(y_true, y_pred)``)."""
    y = keras.ops.cast(y_true, y_pred.dtype)
    return keras.ops.mean(keras.ops.binary_crossentropy(y, y_pred, from_logits=True))


def predict_proba(model: keras.Model, events, categories, batch_size: int = 2048) -> np.ndarray:
    """Purchase probabilities (sigmoid of the logits), inference mode, as a float64 NumPy array."""
    x = {"events": np.asarray(events, dtype="int32"), "categories": np.asarray(categories, dtype="int32")}
    logits = model.predict(x, batch_size=batch_size, verbose=0)
    return 1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=np.float64).reshape(-1)))
