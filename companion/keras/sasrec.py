"""SASRec in Keras 3, the mirror of :mod:`companion.torch.sasrec`.

Same architecture (learned positions, post-norm causal self-attention blocks with GELU
feed-forward, output tied to the item embedding), built from ``keras.layers.MultiHeadAttention``.
:func:`companion.keras.load_torch` copies a trained PyTorch SASRec into it, so the two can be
checked to give the same logits.
"""
from __future__ import annotations

import numpy as np

import companion as _companion  # noqa: F401  (quiet TensorFlow before keras loads)
import keras
from keras import ops

from .attention import _sinusoidal, attention_mask

__all__ = ["SASRec", "SASRecBlock"]


def _normal():
    return keras.initializers.RandomNormal(stddev=0.02)


class SASRecBlock(keras.layers.Layer):
    """``x = LN(x + Dropout(MHA(x)))``; ``x = LN(x + Dropout(W2 GELU(W1 x)))``."""

    def __init__(self, hidden: int, heads: int, inner: int, dropout: float, attn_dropout: float,
                 eps: float = 1e-5, **kwargs):
        super().__init__(**kwargs)
        self.attn = keras.layers.MultiHeadAttention(heads, hidden // heads, dropout=attn_dropout,
                                                    kernel_initializer=_normal())
        self.norm1 = keras.layers.LayerNormalization(epsilon=eps)
        self.ff1 = keras.layers.Dense(inner, kernel_initializer=_normal())
        self.ff2 = keras.layers.Dense(hidden, kernel_initializer=_normal())
        self.norm2 = keras.layers.LayerNormalization(epsilon=eps)
        self.drop = keras.layers.Dropout(dropout)
        self.hidden = hidden

    def build(self, input_shape):
        self.attn.build(input_shape, input_shape)
        self.norm1.build(input_shape)
        self.ff1.build(input_shape)
        self.ff2.build(tuple(input_shape[:-1]) + (self.ff1.units,))
        self.norm2.build(input_shape)
        self.built = True

    def call(self, x, mask, training=None, return_weights: bool = False):
        a, w = self.attn(x, x, attention_mask=mask, training=training, return_attention_scores=True)
        x = self.norm1(x + self.drop(a, training=training))
        f = self.ff2(self.drop(keras.activations.gelu(self.ff1(x), approximate=False), training=training))
        x = self.norm2(x + self.drop(f, training=training))
        return (x, w) if return_weights else x


class SASRec(keras.Model):
    """Self-attentive sequential recommender (Keras 3; causal). Same arguments as the PyTorch one."""

    causal = True

    def __init__(self, n_items: int, max_len: int = 50, *, hidden: int = 64, heads: int = 2, num_blocks: int = 2,
                 inner: int = 256, dropout: float = 0.2, attn_dropout: float | None = None,
                 positions: str | None = "learned", eps: float = 1e-5, position_scale: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        if n_items < 2:
            raise ValueError(f"n_items must be >= 2 (padding + one item), got {n_items}")
        if positions not in ("learned", "sinusoidal", None):
            raise ValueError(f"positions must be 'learned', 'sinusoidal' or None, got {positions!r}")
        if not float(position_scale) > 0:
            raise ValueError(f"position_scale must be a positive number, got {position_scale!r}")
        attn_dropout = dropout if attn_dropout is None else attn_dropout
        self.n_items, self.max_len, self.positions, self.hidden = n_items, max_len, positions, hidden
        self.position_scale = float(position_scale)
        self.config = dict(max_len=max_len, hidden=hidden, heads=heads, num_blocks=num_blocks, inner=inner,
                           dropout=dropout, attn_dropout=attn_dropout, positions=positions, eps=eps,
                           position_scale=self.position_scale)
        self.item_embedding = keras.layers.Embedding(n_items, hidden, embeddings_initializer=_normal())
        if positions == "learned":
            self.position_embedding = keras.layers.Embedding(max_len, hidden, embeddings_initializer=_normal())
        self._pe = _sinusoidal(max_len, hidden) if positions == "sinusoidal" else None
        self.norm = keras.layers.LayerNormalization(epsilon=eps)
        self.drop = keras.layers.Dropout(dropout)
        self.blocks = [SASRecBlock(hidden, heads, inner, dropout, attn_dropout, eps, name=f"block_{i}")
                       for i in range(num_blocks)]
        self.build((None, max_len))

    def build(self, input_shape):
        self.item_embedding.build(input_shape)
        if self.positions == "learned":
            self.position_embedding.build((self.max_len,))
        self.norm.build((None, None, self.hidden))
        for b in self.blocks:
            b.build((None, None, self.hidden))
        self.built = True

    def encode(self, x, *, return_weights: bool = False, training=None):
        """Hidden states ``(B, L, hidden)``; with ``return_weights``, also the attention
        weights of every block, a list of ``(B, heads, L, L)`` tensors."""
        x = ops.cast(x, "int32")
        length = ops.shape(x)[1]
        h = self.item_embedding(x)
        pos = ops.arange(self.max_len - length, self.max_len)
        p = None
        if self.positions == "learned":
            p = self.position_embedding(pos)
        elif self.positions == "sinusoidal":
            p = ops.take(ops.convert_to_tensor(self._pe), pos, axis=0)
        if p is not None:
            h = h + ops.expand_dims(p if self.position_scale == 1.0 else self.position_scale * p, 0)
        h = self.drop(self.norm(h), training=training)
        mask = attention_mask(ops.equal(x, 0), causal=True)
        weights = []
        for b in self.blocks:
            if return_weights:
                h, w = b(h, mask, training=training, return_weights=True)
                weights.append(w)
            else:
                h = b(h, mask, training=training)
        return (h, weights) if return_weights else h

    def call(self, x, training=None):
        """Logits ``(B, L, n_items)``: position t scores the item that follows position t."""
        h = self.encode(x, training=training)
        return ops.matmul(h, ops.transpose(self.item_embedding.embeddings))

    def attention_maps(self, x) -> list:
        """Attention weights (NumPy, ``(B, heads, L, L)`` per block), inference mode."""
        _, w = self.encode(np.asarray(x), training=False, return_weights=True)
        return [np.asarray(ops.convert_to_numpy(t)) for t in w]
