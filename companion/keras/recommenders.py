"""Recurrent and convolutional next-item recommenders (Keras 3). Mirrors
:mod:`companion.torch.recommenders` (same names, same arguments).

Same architecture as the PyTorch ``GRU4Rec``/``LSTM4Rec``: embedding (row 0 = padding,
multiplied by zero) -> dropout -> bias-free GRU/LSTM -> dense back to the embedding size
-> logits against the (tied) item embedding table. ``Caser``: the last ``L`` item embeddings as
an ``L x d`` image, vertical and horizontal convolutions (``channels_last`` here, PyTorch is
channels-first: the vertical features are transposed before flattening so that both flatten in
the same order), a dense layer, and an output layer over all items.
:func:`companion.keras.load_torch` copies the weights of the PyTorch twin so both give the same
outputs.
"""
from __future__ import annotations

import companion as _companion  # noqa: F401  (quiet TensorFlow start-up)
import keras
from keras import ops

__all__ = ["Caser", "GRU4Rec", "LSTM4Rec"]


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

    def encode(self, x, *, training=False):
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


class GRU4Rec(_RNNRec):
    """GRU next-item recommender (causal); see :class:`companion.torch.GRU4Rec`."""

    cell = "GRU"


class LSTM4Rec(_RNNRec):
    """LSTM next-item recommender (causal); see :class:`companion.torch.LSTM4Rec`."""

    cell = "LSTM"


class Caser(keras.Model):
    """Convolutional sequence embedding (Tang & Wang 2018), without the user embedding; non-causal.
    Same arguments as :class:`companion.torch.Caser`."""

    causal = False

    def __init__(self, n_items: int, embedding_dim: int = 64, L: int = 5, n_h: int = 16,
                 n_v: int = 4, dropout: float = 0.4, **kwargs):
        super().__init__(**kwargs)
        self.n_items, self.embedding_dim, self.L, self.n_h, self.n_v = n_items, embedding_dim, L, n_h, n_v
        self.item_embedding = keras.layers.Embedding(
            n_items, embedding_dim, embeddings_initializer=keras.initializers.RandomNormal(stddev=1.0 / embedding_dim),
            name="item_embedding")
        conv = dict(data_format="channels_last")
        self.vertical = keras.layers.Conv2D(n_v, (L, 1), name="vertical", **conv)
        self.horizontal = [keras.layers.Conv2D(n_h, (h, embedding_dim), name=f"horizontal_{h}", **conv)
                           for h in range(1, L + 1)]
        self.fc = keras.layers.Dense(embedding_dim, name="fc")
        self.dropout = keras.layers.Dropout(dropout)
        self.out = keras.layers.Dense(n_items, name="out")
        self.build((None, L))

    def build(self, input_shape):
        d, image = self.embedding_dim, (None, self.L, self.embedding_dim, 1)
        self.item_embedding.build((None, self.L))
        self.vertical.build(image)
        for c in self.horizontal:
            c.build(image)
        self.fc.build((None, self.n_v * d + self.n_h * self.L))
        self.out.build((None, d))
        self.built = True

    def encode(self, x, *, training=False):
        """The sequence vector ``(B, embedding_dim)``."""
        x = ops.convert_to_tensor(x, dtype="int32")[:, -self.L:]
        if x.shape[1] < self.L:
            x = ops.pad(x, ((0, 0), (self.L - x.shape[1], 0)))
        e = self.item_embedding(x) * ops.expand_dims(ops.cast(x > 0, "float32"), -1)
        e = ops.expand_dims(e, -1)  # (B, L, d, 1)
        v = ops.transpose(self.vertical(e), (0, 3, 1, 2))  # (B, n_v, 1, d): PyTorch's layout
        v = ops.reshape(v, (-1, self.n_v * self.embedding_dim))
        hs = [ops.max(ops.relu(ops.squeeze(conv(e), 2)), axis=1) for conv in self.horizontal]  # (B, n_h) each
        z = ops.concatenate([v] + hs, axis=-1)
        return ops.relu(self.fc(self.dropout(z, training=training)))

    def call(self, x, training=False):
        """Logits ``(B, n_items)`` of the next item."""
        return self.out(self.encode(x, training=training))
