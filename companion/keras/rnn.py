"""Keras 3 recurrent layers holding the weights of a PyTorch ``nn.LSTM`` / ``nn.GRU``.

What differs between the two frameworks (and what the copy below does about it):

* **Layout.** PyTorch stores ``weight_ih_l0`` as (gates·H, input) and multiplies ``x @ W.T``;
  Keras stores ``kernel`` as (input, gates·H) and multiplies ``x @ kernel``. So
  ``kernel = weight_ih.T`` and ``recurrent_kernel = weight_hh.T``.
* **LSTM gate order.** PyTorch stacks i, f, g, o; Keras stacks i, f, c, o. Keras's "c" is
  PyTorch's "g" (the candidate cell), so the order is in fact the same and no reordering is needed.
* **LSTM biases.** PyTorch has two bias vectors, ``bias_ih`` and ``bias_hh``, that only enter
  as a sum; Keras has one. ``bias = bias_ih + bias_hh``.
* **GRU gate order.** PyTorch stacks r, z, n; Keras stacks z, r, h. The first two blocks swap.
* **GRU biases.** The candidate uses ``r ⊙ (W_hn h + b_hn)``, so ``b_hn`` cannot be merged into
  ``b_in``. Keras's ``reset_after=True`` (the default) keeps a (2, 3H) bias: row 0 the input
  bias, row 1 the recurrent bias, which is exactly PyTorch's pair.
"""
from __future__ import annotations

import numpy as np

import companion as _companion  # noqa: F401  (quiet TensorFlow start-up)
import keras

__all__ = ["copy_lstm_weights", "copy_gru_weights", "lstm_from_torch", "gru_from_torch",
           "RecurrentClassifier"]


def _np(t):
    return t.detach().cpu().numpy()


def _torch_layer_weights(layer, k: int):
    w_ih, w_hh = _np(getattr(layer, f"weight_ih_l{k}")), _np(getattr(layer, f"weight_hh_l{k}"))
    b_ih = getattr(layer, f"bias_ih_l{k}", None)
    b_hh = getattr(layer, f"bias_hh_l{k}", None)
    return w_ih, w_hh, (None if b_ih is None else _np(b_ih)), (None if b_hh is None else _np(b_hh))


def _check(layer, kind):
    import torch.nn as nn

    cls = {"lstm": nn.LSTM, "gru": nn.GRU}[kind]
    if not isinstance(layer, cls):
        raise TypeError(f"expected a torch.nn.{cls.__name__}, got {type(layer).__name__}")
    if layer.bidirectional or getattr(layer, "proj_size", 0):
        raise ValueError("bidirectional layers and proj_size > 0 are not supported")


def _build(keras_layer, input_size: int):
    if not keras_layer.built:
        keras_layer.build((None, None, input_size))


def copy_lstm_weights(torch_lstm, keras_lstm, layer: int = 0) -> None:
    """Copy layer ``layer`` of a PyTorch ``nn.LSTM`` into a ``keras.layers.LSTM`` (built here if needed)."""
    _check(torch_lstm, "lstm")
    w_ih, w_hh, b_ih, b_hh = _torch_layer_weights(torch_lstm, layer)
    _build(keras_lstm, w_ih.shape[1])
    weights = [w_ih.T, w_hh.T]  # i, f, g(=c), o: the same order in both frameworks
    if keras_lstm.use_bias:
        weights.append(np.zeros(w_ih.shape[0], w_ih.dtype) if b_ih is None else b_ih + b_hh)
    keras_lstm.set_weights(weights)


def _gru_reorder(a: np.ndarray, H: int) -> np.ndarray:
    """PyTorch's r, z, n blocks (along axis 0) -> Keras's z, r, h."""
    return np.concatenate([a[H:2 * H], a[:H], a[2 * H:]], axis=0)


def copy_gru_weights(torch_gru, keras_gru, layer: int = 0) -> None:
    """Copy layer ``layer`` of a PyTorch ``nn.GRU`` into a ``keras.layers.GRU(reset_after=True)``."""
    _check(torch_gru, "gru")
    if not keras_gru.reset_after:
        raise ValueError("PyTorch's GRU applies the reset gate after the recurrent product: use reset_after=True")
    H = torch_gru.hidden_size
    w_ih, w_hh, b_ih, b_hh = _torch_layer_weights(torch_gru, layer)
    _build(keras_gru, w_ih.shape[1])
    weights = [_gru_reorder(w_ih, H).T, _gru_reorder(w_hh, H).T]
    if keras_gru.use_bias:
        if b_ih is None:
            b_ih = b_hh = np.zeros(3 * H, w_ih.dtype)
        weights.append(np.stack([_gru_reorder(b_ih, H), _gru_reorder(b_hh, H)]))
    keras_gru.set_weights(weights)


def _from_torch(layer, kind: str, dtype):
    _check(layer, kind)
    if dtype is None:
        dtype = str(layer.weight_ih_l0.dtype).replace("torch.", "")
    cls = keras.layers.LSTM if kind == "lstm" else keras.layers.GRU
    copy = copy_lstm_weights if kind == "lstm" else copy_gru_weights
    extra = {} if kind == "lstm" else {"reset_after": True}
    model = keras.Sequential([keras.Input(shape=(None, layer.input_size), dtype=dtype)])
    for k in range(layer.num_layers):
        rec = cls(layer.hidden_size, return_sequences=True, use_bias=layer.bias, dtype=dtype,
                  name=f"{kind}_l{k}", **extra)
        model.add(rec)
        copy(layer, rec, k)
    return model


def lstm_from_torch(lstm, dtype=None) -> keras.Sequential:
    """A ``keras.Sequential`` of ``lstm.num_layers`` ``keras.layers.LSTM`` layers
    (``return_sequences=True``) with the weights of the PyTorch ``lstm``; its output on
    (batch, time, features) input equals ``lstm(x)[0]`` with ``batch_first=True``."""
    return _from_torch(lstm, "lstm", dtype)


def gru_from_torch(gru, dtype=None) -> keras.Sequential:
    """The GRU counterpart of :func:`lstm_from_torch` (``reset_after=True``)."""
    return _from_torch(gru, "gru", dtype)


def RecurrentClassifier(kind: str, input_size: int, hidden_size: int, n_classes: int = 2) -> keras.Model:
    """Keras mirror of :class:`companion.torch.rnn.RecurrentClassifier`: a recurrent layer read at
    the last step and a dense layer to ``n_classes`` logits (not compiled)."""
    layers = {"rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}
    if kind not in layers:
        raise ValueError(f"kind must be one of {sorted(layers)}, got {kind!r}")
    return keras.Sequential([keras.Input(shape=(None, input_size)), layers[kind](hidden_size),
                             keras.layers.Dense(n_classes)])
