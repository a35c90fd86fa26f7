"""Sequence classifiers in Keras 3: :func:`PurchaseLSTM`, the mirror of
:class:`companion.torch.classifiers.PurchaseLSTM` (same layers, same initialisation, same dropout).

Keras's ``LSTM(dropout=d, recurrent_dropout=r)`` draws one dropout mask per sequence for the
inputs and one for ``h_{t-1}`` and reuses them at every step (variational dropout,
Gal & Ghahramani 2016). ``Embedding(mask_zero=True)`` makes the LSTM skip padded steps.
"""
from __future__ import annotations

import keras
import numpy as np
from keras import layers

__all__ = ["PurchaseLSTM", "load_torch_weights", "predict_proba"]


def PurchaseLSTM(n_categories: int, n_event_types: int = 2, *, event_dim: int = 4, category_dim: int = 8,
                 hidden: int = 32, dropout: float = 0.2, recurrent_dropout: float = 0.2,
                 output_dropout: float = 0.2, max_len: int | None = None, lr: float | None = 1e-3,
                 clip_norm: float | None = 1.0) -> keras.Model:
    """Build (and, when ``lr`` is given, compile) the purchase classifier.

    Inputs: a dict ``{"events": (batch, time) int, "categories": (batch, time) int}``, left-padded
    with 0. Output: logits of shape ``(batch,)`` (the loss is ``BinaryCrossentropy(from_logits=True)``;
    :func:`predict_proba` applies the sigmoid). ``clip_norm`` clips the GLOBAL gradient norm
    (``global_clipnorm``, like ``torch.nn.utils.clip_grad_norm_``; Keras's ``clipnorm`` clips each
    variable separately).
    """
    for name, v in [("n_categories", n_categories), ("n_event_types", n_event_types),
                    ("event_dim", event_dim), ("category_dim", category_dim), ("hidden", hidden)]:
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive int, got {v!r}")
    for name, v in [("dropout", dropout), ("recurrent_dropout", recurrent_dropout),
                    ("output_dropout", output_dropout)]:
        if not 0.0 <= v < 1.0:
            raise ValueError(f"{name} must be in [0, 1), got {v}")
    events = keras.Input((max_len,), dtype="int32", name="events")
    categories = keras.Input((max_len,), dtype="int32", name="categories")
    e = layers.Embedding(n_event_types + 1, event_dim, mask_zero=True, name="event_embedding")(events)
    c = layers.Embedding(n_categories + 1, category_dim, mask_zero=True, name="category_embedding")(categories)
    x = layers.Concatenate(name="concat")([e, c])
    h = layers.LSTM(hidden, dropout=dropout, recurrent_dropout=recurrent_dropout, name="lstm")(x)
    h = layers.Dropout(output_dropout, name="output_dropout")(h)
    logit = layers.Dense(1, name="head")(h)
    logit = layers.Reshape((), name="logit")(logit)
    model = keras.Model({"events": events, "categories": categories}, logit, name="PurchaseLSTM")
    if lr is not None:
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=lr, global_clipnorm=clip_norm),
                      loss=keras.losses.BinaryCrossentropy(from_logits=True))
    return model


def predict_proba(model: keras.Model, events, categories, batch_size: int = 2048) -> np.ndarray:
    """Purchase probabilities (sigmoid of the logits), inference mode, as a float64 NumPy array."""
    x = {"events": np.asarray(events, dtype="int32"), "categories": np.asarray(categories, dtype="int32")}
    logits = model.predict(x, batch_size=batch_size, verbose=0)
    return 1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=np.float64).reshape(-1)))


def load_torch_weights(model: keras.Model, torch_model) -> keras.Model:
    """Copy the weights of a :class:`companion.torch.PurchaseLSTM` into this Keras model.

    Same gate order (i, f, g/c, o) in both; Keras keeps the kernels transposed and one bias
    (PyTorch's ``bias_ih + bias_hh``).
    """
    sd = {k: v.detach().cpu().numpy() for k, v in torch_model.state_dict().items()}
    model.get_layer("event_embedding").set_weights([sd["event_embedding.weight"]])
    model.get_layer("category_embedding").set_weights([sd["category_embedding.weight"]])
    model.get_layer("lstm").set_weights([sd["cell.weight_ih"].T, sd["cell.weight_hh"].T,
                                         sd["cell.bias_ih"] + sd["cell.bias_hh"]])
    model.get_layer("head").set_weights([sd["head.weight"].T, sd["head.bias"]])
    return model
