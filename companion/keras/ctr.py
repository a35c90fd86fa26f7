"""Click-through models over a behavior sequence (Keras 3), the mirror of :mod:`companion.torch.ctr`.

Same names, arguments and computation: :class:`EmbeddingMLP` (DIN's Base), :class:`DIN` with its
:class:`ActivationUnit`, :class:`BST`, :class:`Dice` and :class:`PReLU`. A model is called on
``{"item": (B,), "history": (B, L)}`` and returns click logits (B,). :func:`companion.keras.load_torch`
copies a PyTorch twin's weights (and Dice's running statistics) in. What differs: Keras's
``BatchNormalization`` counts momentum the other way round (``0.9`` here is PyTorch's ``0.1``), and
PyTorch updates its running variance with the unbiased batch variance, Keras with the biased one,
so two Dice models trained apart drift slightly in their running statistics.
"""
from __future__ import annotations

import math

import numpy as np

import companion as _companion  # noqa: F401  (quiet TensorFlow start-up)
import keras
from keras import ops

from .attention import MultiHeadAttention
from .._checks import check_ctr_model as _check, ctr_feature_means as _feature_means

__all__ = ["ActivationUnit", "BST", "DIN", "Dice", "EmbeddingMLP", "PReLU", "TransformerBlock", "ctr_loss",
           "predict_proba"]


def _normal():
    return keras.initializers.RandomNormal(stddev=0.05)


class PReLU(keras.layers.Layer):
    """``max(s, 0) + α·min(s, 0)`` with one learned ``α`` per unit (last axis), initialised to 0.25."""

    def __init__(self, units: int, init: float = 0.25, **kwargs):
        super().__init__(**kwargs)
        self.alpha = self.add_weight(shape=(units,), initializer=keras.initializers.Constant(init), name="alpha")

    def call(self, x):
        return ops.where(x > 0, x, self.alpha * x)


class Dice(keras.layers.Layer):
    """DIN's Dice: ``p·s + (1 − p)·α·s``, ``p = σ(BN(s))`` (BatchNorm without scale and shift over
    every axis but the last; ``momentum`` in PyTorch's convention, converted), ``α`` initialised to 0."""

    def __init__(self, units: int, epsilon: float = 1e-8, momentum: float = 0.1, **kwargs):
        super().__init__(**kwargs)
        self.bn = keras.layers.BatchNormalization(axis=-1, epsilon=epsilon, momentum=1.0 - momentum, center=False,
                                                  scale=False)
        self.bn.build((None, units))
        self.alpha = self.add_weight(shape=(units,), initializer="zeros", name="alpha")

    def call(self, x, training=None):
        shape = ops.shape(x)
        flat = ops.reshape(x, (-1, shape[-1]))
        p = ops.reshape(ops.sigmoid(self.bn(flat, training=training)), shape)
        return p * x + (1 - p) * self.alpha * x


def _activation(kind: str, units: int):
    return Dice(units) if kind == "dice" else PReLU(units)


class _MLP(keras.layers.Layer):
    def __init__(self, in_dim: int, hidden, activation: str, **kwargs):
        super().__init__(**kwargs)
        dims = [in_dim, *hidden]
        self.dense = [keras.layers.Dense(b) for b in hidden]
        for layer, a in zip(self.dense, dims[:-1]):
            layer.build((None, a))
        self.act = [_activation(activation, b) for b in hidden]
        self.out = keras.layers.Dense(1)
        self.out.build((None, dims[-1]))

    def call(self, x, training=None):
        for d, a in zip(self.dense, self.act):
            x = a(d(x), training=training) if isinstance(a, Dice) else a(d(x))
        return ops.squeeze(self.out(x), -1)


class _ItemEmbedding(keras.layers.Layer):
    def __init__(self, n_items: int, item_features, dim: int, **kwargs):
        super().__init__(**kwargs)
        self.item = keras.layers.Embedding(n_items, dim, embeddings_initializer=_normal())
        self.item.build((None,))
        self.dim = dim
        self.features = None
        if item_features is not None:
            self.features = _feature_means(item_features)
            self.feature = keras.layers.Dense(dim, use_bias=False, kernel_initializer=_normal())
            self.feature.build((None, self.features.shape[1]))
            self.dim = 2 * dim

    def call(self, ids):
        e = self.item(ids)
        if self.features is None:
            return e
        f = ops.take(ops.convert_to_tensor(self.features), ids, axis=0)
        return ops.concatenate([e, self.feature(f)], axis=-1)


def _masked_mean(x, valid):
    v = ops.expand_dims(ops.cast(valid, x.dtype), -1)
    return ops.sum(x * v, axis=1) / ops.maximum(ops.sum(v, axis=1), 1.0)


def _ids(inputs):
    if not isinstance(inputs, dict) or "item" not in inputs or "history" not in inputs:
        raise ValueError('call the model on {"item": (B,), "history": (B, L)}')
    item = ops.cast(inputs["item"], "int32")
    history = ops.cast(inputs["history"], "int32")
    if len(history.shape) != 2 or len(item.shape) != 1:
        raise ValueError(f"item must be (B,) and history (B, L), got {tuple(item.shape)} and {tuple(history.shape)}")
    return item, history


class _Built:
    """Every sub-layer is built in ``__init__`` (so weights can be ported before the first call)."""

    def build(self, input_shape=None):
        self.built = True


class EmbeddingMLP(_Built, keras.Model):
    """DIN's Base model (Keras): ``MLP([candidate, pool(history)])``, masked ``"sum"`` or ``"mean"``."""

    def __init__(self, n_items: int, item_features=None, *, embedding_dim: int = 8, hidden=(80, 40),
                 activation: str = "prelu", pooling: str = "mean", **kwargs):
        super().__init__(**kwargs)
        _check(n_items, item_features, embedding_dim, hidden, activation)
        if pooling not in ("sum", "mean"):
            raise ValueError(f"pooling must be 'sum' or 'mean', got {pooling!r}")
        self.pooling = pooling
        self.embed = _ItemEmbedding(n_items, item_features, embedding_dim, name="item_embedding")
        self.mlp = _MLP(2 * self.embed.dim, hidden, activation, name="mlp")

    def call(self, inputs, training=None):
        item, history = _ids(inputs)
        q, k, valid = self.embed(item), self.embed(history), history > 0
        if self.pooling == "sum":
            pooled = ops.sum(k * ops.expand_dims(ops.cast(valid, k.dtype), -1), axis=1)
        else:
            pooled = _masked_mean(k, valid)
        return self.mlp(ops.concatenate([q, pooled], axis=-1), training=training)


class ActivationUnit(_Built, keras.layers.Layer):
    """DIN's local activation unit: ``MLP([q, k, q − k, q ⊙ k])`` → one score per past behavior."""

    def __init__(self, embedding_dim: int, hidden=(36,), activation: str = "prelu", **kwargs):
        super().__init__(**kwargs)
        self.mlp = _MLP(4 * embedding_dim, hidden, activation, name="mlp")

    def call(self, query, keys, training=None):
        q = ops.broadcast_to(ops.expand_dims(query, 1), ops.shape(keys))
        return self.mlp(ops.concatenate([q, keys, q - keys, q * keys], axis=-1), training=training)


class DIN(_Built, keras.Model):
    """Deep Interest Network (Keras): ``MLP([candidate, Σ_ℓ w_ℓ k_ℓ])``, weights from the activation unit."""

    def __init__(self, n_items: int, item_features=None, *, embedding_dim: int = 8, hidden=(80, 40),
                 activation: str = "prelu", attention_hidden=(36,), attention_activation: str = "prelu",
                 softmax: bool = False, **kwargs):
        super().__init__(**kwargs)
        _check(n_items, item_features, embedding_dim, hidden, activation)
        _check(n_items, item_features, embedding_dim, attention_hidden, attention_activation)
        self.softmax = bool(softmax)
        self.embed = _ItemEmbedding(n_items, item_features, embedding_dim, name="item_embedding")
        self.attention = ActivationUnit(self.embed.dim, attention_hidden, attention_activation)
        self.mlp = _MLP(2 * self.embed.dim, hidden, activation, name="mlp")

    def _weights(self, q, k, valid, training=None):
        scores = self.attention(q, k, training=training)
        if not self.softmax:
            return scores * ops.cast(valid, scores.dtype)
        scores = ops.where(valid, scores / math.sqrt(k.shape[-1]), -1e9)
        w = ops.softmax(scores, axis=-1) * ops.cast(valid, scores.dtype)
        return w / ops.maximum(ops.sum(w, axis=-1, keepdims=True), 1e-30)  # padding only: weights 0

    def attention_weights(self, inputs):
        item, history = _ids(inputs)
        return self._weights(self.embed(item), self.embed(history), history > 0, training=False)

    def call(self, inputs, training=None):
        item, history = _ids(inputs)
        q, k, valid = self.embed(item), self.embed(history), history > 0
        pooled = ops.sum(ops.expand_dims(self._weights(q, k, valid, training), -1) * k, axis=1)
        return self.mlp(ops.concatenate([q, pooled], axis=-1), training=training)


class TransformerBlock(_Built, keras.layers.Layer):
    """BST's block (post-norm, LeakyReLU feed-forward), the twin of the PyTorch one."""

    def __init__(self, dim: int, heads: int, inner: int, dropout: float, **kwargs):
        super().__init__(**kwargs)
        self.attn = MultiHeadAttention(dim, heads, dropout=dropout)
        self.norm1 = keras.layers.LayerNormalization(epsilon=1e-5)
        self.norm1.build((None, None, dim))
        self.ff1 = keras.layers.Dense(inner)
        self.ff1.build((None, None, dim))
        self.ff2 = keras.layers.Dense(dim)
        self.ff2.build((None, None, inner))
        self.norm2 = keras.layers.LayerNormalization(epsilon=1e-5)
        self.norm2.build((None, None, dim))
        self.drop = keras.layers.Dropout(dropout)

    def call(self, x, padding, training=None):
        a, w = self.attn(x, key_padding_mask=padding, need_weights=True, training=training)
        x = self.norm1(x + self.drop(a, training=training))
        f = self.ff2(keras.activations.leaky_relu(self.ff1(x), negative_slope=0.01))
        x = self.norm2(x + self.drop(f, training=training))
        return x, w


class BST(_Built, keras.Model):
    """Behavior Sequence Transformer (Keras): one block over ``[history, candidate]``."""

    def __init__(self, n_items: int, item_features=None, *, embedding_dim: int = 8, hidden=(80, 40),
                 activation: str = "prelu", max_len: int = 20, heads: int = 2, inner: int | None = None,
                 dropout: float = 0.1, **kwargs):
        super().__init__(**kwargs)
        _check(n_items, item_features, embedding_dim, hidden, activation)
        self.embed = _ItemEmbedding(n_items, item_features, embedding_dim, name="item_embedding")
        dim = self.embed.dim
        if dim % heads:
            raise ValueError(f"heads ({heads}) must divide the item vector's size ({dim})")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.max_len = int(max_len)
        self.position = keras.layers.Embedding(self.max_len + 1, dim, embeddings_initializer=_normal())
        self.position.build((None,))
        self.block = TransformerBlock(dim, heads, inner or 4 * dim, dropout)
        self.mlp = _MLP(2 * dim, hidden, activation, name="mlp")

    def _encode(self, inputs, training=None):
        item, history = _ids(inputs)
        if history.shape[1] != self.max_len:
            raise ValueError(f"history must have max_len = {self.max_len} columns, got {history.shape[1]}")
        seq = ops.concatenate([history, ops.expand_dims(item, 1)], axis=1)
        x = self.embed(seq) + ops.expand_dims(self.position.embeddings, 0)
        padding = seq == 0
        out, w = self.block(x, padding, training=training)
        return out, w, ops.logical_not(padding)

    def attention_weights(self, inputs):
        _, w, _ = self._encode(inputs, training=False)
        return ops.mean(w[:, :, -1, :-1], axis=1)

    def call(self, inputs, training=None):
        out, _, valid = self._encode(inputs, training)
        return self.mlp(ops.concatenate([out[:, -1], _masked_mean(out, valid)], axis=-1), training=training)


# ----------------------------------------------------------------------------- harness
def ctr_loss(y_true, y_pred):
    """Binary cross-entropy on logits (a Keras loss, ``(y_true, y_pred)``)."""
    y = ops.cast(y_true, y_pred.dtype)
    return ops.mean(ops.binary_crossentropy(y, y_pred, from_logits=True))


def predict_proba(model: keras.Model, inputs: dict, batch_size: int = 4096) -> np.ndarray:
    """Click probabilities (sigmoid of the logits), inference mode, float64."""
    x = {"item": np.asarray(inputs["item"], dtype="int32"), "history": np.asarray(inputs["history"], dtype="int32")}
    out = [np.asarray(ops.convert_to_numpy(model({k: v[s:s + batch_size] for k, v in x.items()}, training=False)),
                      dtype=np.float64).reshape(-1) for s in range(0, len(x["item"]), batch_size)]
    return 1.0 / (1.0 + np.exp(-np.concatenate(out)))
