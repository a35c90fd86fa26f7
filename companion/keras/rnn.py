"""Recurrent networks in Keras 3, the mirror of :mod:`companion.torch.rnn`: the models built on one
recurrent layer, with the same names and constructor arguments as the PyTorch ones.

* :class:`RecurrentClassifier` (chapter 3): a recurrent layer read at the last step, then a dense
  layer to ``n_classes`` logits. ``scratch=True`` runs the cell step by step in a
  ``keras.layers.RNN`` loop instead of the fused layer (PyTorch's ``scratch=True`` swaps in the
  gate-by-gate ``Scratch…`` layers, which are PyTorch-only lesson code); the weights are the same.
* :class:`PurchaseLSTM` (chapter 4): embeddings of (event type, category), an LSTM with
  variational dropout (``dropout``/``recurrent_dropout``: one mask per sequence, reused at every
  step), padded steps skipped (the mask of ``events > 0``), a logit.
* :class:`LSTMForecastNet` (chapter 5): LSTM over the past window, its last hidden state
  concatenated with the extra inputs, one dense layer to the ``horizon`` outputs.

None of them compiles itself: :func:`companion.keras.fit` compiles with its optimizer and loss.
How PyTorch's recurrent weights map onto Keras's (layout, gate order, biases) is explained in
:mod:`companion.keras.porting`.
"""
from __future__ import annotations

import companion as _companion  # noqa: F401  (quiet TensorFlow start-up)
import keras
from keras import layers, ops

from .._checks import check_int, check_purchase_lstm

__all__ = ["LSTMForecastNet", "PurchaseLSTM", "RecurrentClassifier"]

_FUSED = {"rnn": layers.SimpleRNN, "lstm": layers.LSTM, "gru": layers.GRU}
_CELLS = {"rnn": layers.SimpleRNNCell, "lstm": layers.LSTMCell, "gru": layers.GRUCell}


class RecurrentClassifier(keras.Model):
    """``kind`` (``"rnn"``, ``"lstm"``, ``"gru"``) recurrent layers read at the last step, then a
    dense layer to ``n_classes`` logits. Input ``(batch, time, input_size)``."""

    def __init__(self, kind: str, input_size: int, hidden_size: int, n_classes: int = 2, *,
                 num_layers: int = 1, scratch: bool = False, **kwargs):
        super().__init__(**kwargs)
        if kind not in _FUSED:
            raise ValueError(f"kind must be one of {sorted(_FUSED)}, got {kind!r}")
        check_int("num_layers", num_layers)
        self.kind, self.input_size, self.hidden_size = kind, input_size, hidden_size
        self.num_layers, self.scratch = num_layers, scratch
        extra = {"reset_after": True} if kind == "gru" else {}  # PyTorch's GRU convention
        self.rnns = []
        for k in range(num_layers):
            last = k == num_layers - 1
            if scratch:
                rnn = layers.RNN(_CELLS[kind](hidden_size, **extra), return_sequences=not last, name=f"rnn_{k}")
            else:
                rnn = _FUSED[kind](hidden_size, return_sequences=not last, name=f"rnn_{k}", **extra)
            self.rnns.append(rnn)
        self.head = layers.Dense(n_classes, name="head")
        self.build((None, None, input_size))

    def build(self, input_shape):
        size = self.input_size
        for rnn in self.rnns:
            rnn.build((None, None, size))
            size = self.hidden_size
        self.head.build((None, self.hidden_size))
        self.built = True

    def call(self, x, training=None):
        h = ops.convert_to_tensor(x)
        for rnn in self.rnns:
            h = rnn(h, training=training)
        return self.head(h)


class PurchaseLSTM(keras.Model):
    """Embed (event type, category), run an LSTM over the prefix, map the last state to a logit.

    Input: a dict ``{"events": (batch, time) int, "categories": (batch, time) int}``, left-padded
    with 0. Output: logits of shape ``(batch,)`` (train with ``BinaryCrossentropy(from_logits=True)``,
    :data:`companion.keras.purchase.purchase_loss`; :func:`~companion.keras.purchase.predict_proba`
    applies the sigmoid). Arguments as :class:`companion.torch.PurchaseLSTM`.
    """

    def __init__(self, n_categories: int, n_event_types: int = 2, *, event_dim: int = 4, category_dim: int = 8,
                 hidden: int = 32, dropout: float = 0.2, recurrent_dropout: float = 0.2,
                 output_dropout: float = 0.2, **kwargs):
        kwargs.setdefault("name", "PurchaseLSTM")
        super().__init__(**kwargs)
        check_purchase_lstm(n_categories, n_event_types, event_dim, category_dim, hidden, dropout,
                            recurrent_dropout, output_dropout)
        self.n_categories, self.n_event_types, self.hidden = int(n_categories), int(n_event_types), int(hidden)
        self.event_embedding = layers.Embedding(n_event_types + 1, event_dim, name="event_embedding")
        self.category_embedding = layers.Embedding(n_categories + 1, category_dim, name="category_embedding")
        self.lstm = layers.LSTM(hidden, dropout=dropout, recurrent_dropout=recurrent_dropout, name="lstm")
        self.output_dropout = layers.Dropout(output_dropout, name="output_dropout")
        self.head = layers.Dense(1, name="head")
        self._dims = (event_dim, category_dim)
        self.build(None)

    def build(self, input_shape):
        self.event_embedding.build((None, None))
        self.category_embedding.build((None, None))
        self.lstm.build((None, None, sum(self._dims)))
        self.head.build((None, self.hidden))
        self.built = True

    def call(self, inputs, training=None):
        events = ops.cast(inputs["events"], "int32")
        categories = ops.cast(inputs["categories"], "int32")
        x = ops.concatenate([self.event_embedding(events), self.category_embedding(categories)], axis=-1)
        h = self.lstm(x, mask=ops.not_equal(events, 0), training=training)  # padded steps carry the state
        return ops.squeeze(self.head(self.output_dropout(h, training=training)), -1)


class LSTMForecastNet(keras.Model):
    """``[past (B, L, F), extra (B, E)]`` → LSTM → last hidden state ⊕ extra → Dense → (B, horizon)."""

    def __init__(self, n_features: int, n_extra: int, hidden: int, horizon: int, **kwargs):
        kwargs.setdefault("name", "lstm_forecaster")
        super().__init__(**kwargs)
        self.n_features, self.n_extra, self.hidden = n_features, n_extra, hidden
        self.lstm = layers.LSTM(hidden, name="lstm")
        self.head = layers.Dense(horizon, name="head")
        self.build(None)

    def build(self, input_shape):
        self.lstm.build((None, None, self.n_features))
        self.head.build((None, self.hidden + self.n_extra))
        self.built = True

    def call(self, inputs, training=None):
        past, extra = inputs
        h = self.lstm(ops.convert_to_tensor(past), training=training)
        return self.head(ops.concatenate([h, ops.cast(extra, h.dtype)], axis=-1))
