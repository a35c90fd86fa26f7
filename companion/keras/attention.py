"""Attention in Keras 3, the mirror of :mod:`companion.torch.attention`: the same functions and the
same hand-written :class:`MultiHeadAttention`, written with ``keras.ops`` (any backend).

.. math::

    \\mathrm{Attention}(Q, K, V) = \\mathrm{softmax}\\Big(\\frac{Q K^\\top}{\\sqrt{d_k}} + M\\Big) V

Mask conventions (the same as the PyTorch module): ``key_padding_mask`` is ``True`` at PADDING
positions; ``attn_mask`` and the result of :func:`allowed_mask` are ``True`` where attention is
ALLOWED. A query row with no allowed key gets zero weights and a zero output.

Keras's own ``keras.layers.MultiHeadAttention`` stores the same four linear maps differently:

=============  ===========================================  ==================================
map            PyTorch ``nn.MultiheadAttention``             Keras ``MultiHeadAttention``
=============  ===========================================  ==================================
query/key/     ``in_proj_weight`` (3E, E) packed, rows       three kernels (E, heads, head_dim),
value          = [W_q; W_k; W_v], each (out, in): y = x Wᵀ   applied as y = x K (einsum)
biases         ``in_proj_bias`` (3E,)                        three biases (heads, head_dim)
output         ``out_proj.weight`` (E, E) (out, in)          kernel (heads, head_dim, E), bias (E,)
=============  ===========================================  ==================================

So a Keras query kernel is ``W_q.T.reshape(E, heads, head_dim)`` and the output kernel is
``W_o.T.reshape(heads, head_dim, E)`` (:func:`companion.keras.load_torch` does this). Its
``attention_mask`` is ``True`` where attention is ALLOWED (:func:`attention_mask` builds one from a
padding mask). A query row that may see no key at all (left padding under a causal mask) gets NaN
from ``torch.nn.MultiheadAttention``, zero weights from the functions here, and in Keras 3.15
either uniform weights (the default fused path, which adds a large negative number) or zero
weights (with ``return_attention_scores=True``, the path :class:`companion.keras.SASRec` uses).
Only padding positions are affected; their outputs are never used.
"""
from __future__ import annotations

import math

import numpy as np

import companion as _companion  # noqa: F401  (quiet TensorFlow before keras loads)
import keras
from keras import ops

__all__ = [
    "MultiHeadAttention",
    "allowed_mask",
    "attention_mask",
    "causal_mask",
    "scaled_dot_product_attention",
    "sinusoidal_positions",
]


def causal_mask(length: int, device=None):
    """(length, length) bool, ``True`` where query ``t`` may look at key ``s`` (``s <= t``).
    ``device`` is accepted for parity with PyTorch and ignored (Keras places tensors itself)."""
    return ops.convert_to_tensor(np.tril(np.ones((length, length), dtype=bool)))


def allowed_mask(q_len: int, k_len: int, *, key_padding_mask=None, causal: bool = False, attn_mask=None,
                 device=None):
    """Combine the masks into one boolean tensor, ``True`` where attention is allowed (see
    :func:`companion.torch.attention.allowed_mask`; ``device`` is ignored)."""
    allowed = None
    if causal:
        if q_len != k_len:
            raise ValueError(f"a causal mask needs as many queries as keys, got {q_len} and {k_len}")
        allowed = causal_mask(q_len)
    if attn_mask is not None:
        attn_mask = ops.convert_to_tensor(attn_mask)
        if keras.backend.standardize_dtype(attn_mask.dtype) != "bool":
            raise TypeError("attn_mask must be boolean (True = allowed)")
        allowed = attn_mask if allowed is None else ops.logical_and(allowed, attn_mask)
    if key_padding_mask is not None:
        key_padding_mask = ops.convert_to_tensor(key_padding_mask)
        if keras.backend.standardize_dtype(key_padding_mask.dtype) != "bool" or len(key_padding_mask.shape) != 2:
            raise TypeError("key_padding_mask must be a (batch, keys) boolean tensor, True = padding")
        keep = ops.logical_not(key_padding_mask)[:, None, None, :]  # (B, 1, 1, Lk)
        allowed = keep if allowed is None else ops.logical_and(allowed, keep)
    return allowed


def scaled_dot_product_attention(q, k, v, *, key_padding_mask=None, causal: bool = False, attn_mask=None,
                                 dropout_p: float = 0.0, training: bool = False):
    """softmax(q kᵀ / √d_k + mask) v, written out. Returns ``(output, weights)``; shapes as in
    :func:`companion.torch.attention.scaled_dot_product_attention`."""
    q, k, v = (ops.convert_to_tensor(t) for t in (q, k, v))
    d_k = q.shape[-1]
    scores = ops.matmul(q, ops.swapaxes(k, -1, -2)) / math.sqrt(d_k)
    allowed = allowed_mask(q.shape[-2], k.shape[-2], key_padding_mask=key_padding_mask, causal=causal,
                           attn_mask=attn_mask)
    if allowed is None:
        weights = ops.softmax(scores, axis=-1)
    else:
        if key_padding_mask is not None and len(scores.shape) == 3:  # (B, Lq, Lk) without a head axis
            allowed = allowed[:, 0]
        allowed = ops.broadcast_to(allowed, ops.shape(scores))
        any_key = ops.any(allowed, axis=-1, keepdims=True)
        # rows with no allowed key: softmax of zeros (finite, no NaN in any gradient), then zeroed
        masked = ops.where(allowed, scores, ops.where(any_key, float("-inf"), 0.0))
        weights = ops.where(any_key, ops.softmax(masked, axis=-1), 0.0)
    if dropout_p > 0.0 and training:
        weights = keras.random.dropout(weights, dropout_p)
    return ops.matmul(weights, v), weights


class MultiHeadAttention(keras.layers.Layer):
    """Multi-head attention from scratch, batch-first (the twin of
    :class:`companion.torch.MultiHeadAttention`, with the same ``q_proj``, ``k_proj``, ``v_proj``,
    ``out_proj`` maps as ``Dense`` layers)."""

    def __init__(self, embed_dim: int, num_heads: int, *, dropout: float = 0.0, bias: bool = True, **kwargs):
        super().__init__(**kwargs)
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads})")
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.dropout = dropout
        self.q_proj = keras.layers.Dense(embed_dim, use_bias=bias, name="q_proj")
        self.k_proj = keras.layers.Dense(embed_dim, use_bias=bias, name="k_proj")
        self.v_proj = keras.layers.Dense(embed_dim, use_bias=bias, name="v_proj")
        self.out_proj = keras.layers.Dense(embed_dim, use_bias=bias, name="out_proj")
        self.build((None, None, embed_dim))

    def build(self, input_shape):
        for d in (self.q_proj, self.k_proj, self.v_proj, self.out_proj):
            d.build((None, None, self.embed_dim))
        self.built = True

    def _split(self, x):  # (B, L, E) -> (B, H, L, head_dim)
        x = ops.reshape(x, (ops.shape(x)[0], -1, self.num_heads, self.head_dim))
        return ops.transpose(x, (0, 2, 1, 3))

    def call(self, query, key=None, value=None, *, key_padding_mask=None, causal: bool = False,
             attn_mask=None, need_weights: bool = False, training=None):
        """``query`` (B, Lq, E); ``key``/``value`` default to ``query``. Returns
        ``(output (B, Lq, E), weights (B, H, Lq, Lk) or None)``."""
        key = query if key is None else key
        value = key if value is None else value
        q, k, v = self._split(self.q_proj(query)), self._split(self.k_proj(key)), self._split(self.v_proj(value))
        out, weights = scaled_dot_product_attention(
            q, k, v, key_padding_mask=key_padding_mask, causal=causal, attn_mask=attn_mask,
            dropout_p=self.dropout, training=bool(training))
        out = ops.reshape(ops.transpose(out, (0, 2, 1, 3)), (ops.shape(out)[0], -1, self.embed_dim))
        return self.out_proj(out), (weights if need_weights else None)


def _sinusoidal(length: int, dim: int, base: float = 10000.0) -> np.ndarray:
    if dim % 2:
        raise ValueError(f"dim must be even, got {dim}")
    t = np.arange(length, dtype=np.float64)[:, None]
    freq = base ** (-np.arange(0, dim, 2, dtype=np.float64) / dim)
    pe = np.zeros((length, dim))
    pe[:, 0::2], pe[:, 1::2] = np.sin(t * freq), np.cos(t * freq)
    return pe.astype("float32")


def sinusoidal_positions(length: int, dim: int, base: float = 10000.0):
    """The fixed positional encoding of Vaswani et al. (2017), (length, dim), float32:
    PE[t, 2i] = sin(t / base^(2i/dim)), PE[t, 2i+1] = cos(t / base^(2i/dim))."""
    return ops.convert_to_tensor(_sinusoidal(length, dim, base))


def attention_mask(key_padding, *, causal: bool = False):
    """``keras.layers.MultiHeadAttention``'s ``attention_mask`` (B, L, L), True = allowed, from a
    (B, L) padding mask (True = pad)."""
    keep = keras.ops.logical_not(keras.ops.convert_to_tensor(key_padding, dtype="bool"))
    mask = keras.ops.expand_dims(keep, 1)  # (B, 1, L): which keys each query may see
    length = keras.ops.shape(keep)[1]
    mask = keras.ops.repeat(mask, length, axis=1)
    if causal:
        tri = keras.ops.tril(keras.ops.ones((length, length), dtype="int32")) > 0
        mask = keras.ops.logical_and(mask, keras.ops.expand_dims(tri, 0))
    return mask
