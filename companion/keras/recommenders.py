"""Recurrent next-item recommenders (Keras 3). Mirrors :mod:`companion.torch.recommenders`.

Same architecture as the PyTorch ``GRU4Rec``/``LSTM4Rec``: embedding (row 0 = padding,
multiplied by zero) -> dropout -> bias-free GRU/LSTM -> dense back to the embedding size
-> logits against the (tied) item embedding table. :meth:`load_torch` copies the weights of
the PyTorch twin so both give the same outputs.
"""
from __future__ import annotations

import companion as _companion  # noqa: F401  (quiet TensorFlow start-up)
import keras
from keras import ops

from .rnn import copy_gru_weights, copy_lstm_weights

__all__ = ["GRU4Rec", "LSTM4Rec"]


class _RNNRec(keras.Model):
    causal = True
    cell = "GRU"

    def __init__(self, n_items: int, embedding_dim: int = 64, hidden_size: int = 128,
                 num_layers: int = 1, dropout: float = 0.3, **kwargs):
        super().__init__(**kwargs)
        if n_items < 2:
            raise ValueError(f"n_items must be >= 2 (padding + one item), got {n_items}")
        self.n_items, self.embedding_dim, self.hidden_size = n_items, embedding_dim, hidden_size
        self.item_embedding = keras.layers.Embedding(
            n_items, embedding_dim, embeddings_initializer=keras.initializers.GlorotNormal(), name="item_embedding")
        self.emb_dropout = keras.layers.Dropout(dropout)
        extra = {"reset_after": True} if self.cell == "GRU" else {}
        layer = keras.layers.GRU if self.cell == "GRU" else keras.layers.LSTM
        self.rnns = [layer(hidden_size, return_sequences=True, use_bias=False, name=f"rnn_{k}", **extra)
                     for k in range(num_layers)]
        self.dense = keras.layers.Dense(embedding_dim, name="dense")
        self.build((None, None))

    def build(self, input_shape):
        self.item_embedding.build(input_shape)
        size = self.embedding_dim
        for rnn in self.rnns:
            rnn.build((None, None, size))
            size = self.hidden_size
        self.dense.build((None, None, self.hidden_size))
        self.built = True

    def encode(self, x, training=False):
        """Hidden states ``(B, L, hidden_size)``."""
        x = ops.convert_to_tensor(x, dtype="int32")
        e = self.item_embedding(x) * ops.expand_dims(ops.cast(x > 0, "float32"), -1)
        h = self.emb_dropout(e, training=training)
        for rnn in self.rnns:
            h = rnn(h, training=training)
        return h

    def call(self, x, training=False):
        """Logits ``(B, L, n_items)``; position t scores the item after position t."""
        z = self.dense(self.encode(x, training=training))
        return ops.matmul(z, ops.transpose(self.item_embedding.embeddings))

    def load_torch(self, torch_model) -> "_RNNRec":
        """Copy the weights of the PyTorch model of the same name and sizes."""
        if type(torch_model).__name__ != type(self).__name__:
            raise TypeError(f"expected a torch {type(self).__name__}, got {type(torch_model).__name__}")
        t = torch_model
        self.item_embedding.set_weights([t.item_embedding.weight.detach().cpu().numpy()])
        copy = copy_gru_weights if self.cell == "GRU" else copy_lstm_weights
        for k, rnn in enumerate(self.rnns):
            copy(t.rnn, rnn, k)
        self.dense.set_weights([t.dense.weight.detach().cpu().numpy().T, t.dense.bias.detach().cpu().numpy()])
        return self


class GRU4Rec(_RNNRec):
    """GRU next-item recommender (causal); see :class:`companion.torch.GRU4Rec`."""

    cell = "GRU"


class LSTM4Rec(_RNNRec):
    """LSTM next-item recommender (causal); see :class:`companion.torch.LSTM4Rec`."""

    cell = "LSTM"

