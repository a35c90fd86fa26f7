"""Weight copy from PyTorch multi-head attention into ``keras.layers.MultiHeadAttention``.

The two libraries store the same four linear maps differently:

=============  ===========================================  ==================================
map            PyTorch ``nn.MultiheadAttention``             Keras ``MultiHeadAttention``
=============  ===========================================  ==================================
query/key/     ``in_proj_weight`` (3E, E) packed, rows       three kernels (E, heads, head_dim),
value          = [W_q; W_k; W_v], each (out, in): y = x Wᵀ   applied as y = x K (einsum)
biases         ``in_proj_bias`` (3E,)                        three biases (heads, head_dim)
output         ``out_proj.weight`` (E, E) (out, in)          kernel (heads, head_dim, E), bias (E,)
=============  ===========================================  ==================================

So a Keras query kernel is ``W_q.T.reshape(E, heads, head_dim)`` and the output kernel is
``W_o.T.reshape(heads, head_dim, E)``. Masks are the other difference: Keras's
``attention_mask`` is ``True`` where attention is ALLOWED (PyTorch's ``key_padding_mask``
is ``True`` at PADDING). A query row that may see no key at all (left padding under a causal
mask) gets NaN from ``torch.nn.MultiheadAttention``, zero weights from
:func:`companion.torch.attention.scaled_dot_product_attention`, and in Keras 3.15 either
uniform weights (the default fused path, which adds a large negative number) or zero weights
(with ``return_attention_scores=True``, the path :class:`companion.keras.SASRec` uses).
Only padding positions are affected; their outputs are never used.
"""
from __future__ import annotations

import numpy as np

import companion as _companion  # noqa: F401  (quiet TensorFlow before keras loads)
import keras

__all__ = ["attention_mask", "mha_from_torch", "torch_mha_weights_to_keras"]


def _np(t) -> np.ndarray:
    if hasattr(t, "detach"):
        t = t.detach().cpu().numpy()
    return np.asarray(t, dtype="float32")


def torch_mha_weights_to_keras(state: dict, num_heads: int) -> list[np.ndarray]:
    """Convert a PyTorch multi-head-attention state dict to Keras ``set_weights`` order.

    Accepts either ``nn.MultiheadAttention``'s names (``in_proj_weight``, ``in_proj_bias``,
    ``out_proj.weight``, ``out_proj.bias``) or :class:`companion.torch.MultiHeadAttention`'s
    (``q_proj.weight`` ... ``out_proj.bias``); values are tensors or arrays.
    Returns [q kernel, q bias, k kernel, k bias, v kernel, v bias, out kernel, out bias].
    """
    s = {k: _np(v) for k, v in state.items()}
    if "in_proj_weight" in s:
        e = s["in_proj_weight"].shape[1]
        w = np.split(s["in_proj_weight"], 3, axis=0)
        b = np.split(s["in_proj_bias"], 3) if "in_proj_bias" in s else [np.zeros(e, "float32")] * 3
    else:
        e = s["q_proj.weight"].shape[1]
        w = [s[f"{n}_proj.weight"] for n in "qkv"]
        b = [s.get(f"{n}_proj.bias", np.zeros(e, "float32")) for n in "qkv"]
    if e % num_heads:
        raise ValueError(f"embed dim {e} is not divisible by {num_heads} heads")
    d = e // num_heads
    out = []
    for wi, bi in zip(w, b):
        out += [wi.T.reshape(e, num_heads, d), bi.reshape(num_heads, d)]
    wo = s["out_proj.weight"]
    bo = s.get("out_proj.bias", np.zeros(e, "float32"))
    out += [wo.T.reshape(num_heads, d, e), bo]
    return out


def mha_from_torch(torch_mha, *, num_heads: int | None = None) -> keras.layers.MultiHeadAttention:
    """A built ``keras.layers.MultiHeadAttention`` holding the weights of a PyTorch one.

    ``torch_mha`` is ``torch.nn.MultiheadAttention`` or :class:`companion.torch.MultiHeadAttention`.
    """
    num_heads = num_heads or torch_mha.num_heads
    e = torch_mha.embed_dim
    layer = keras.layers.MultiHeadAttention(num_heads=num_heads, key_dim=e // num_heads,
                                            dropout=float(getattr(torch_mha, "dropout", 0.0)))
    layer.build((None, None, e), (None, None, e))
    layer.set_weights(torch_mha_weights_to_keras(torch_mha.state_dict(), num_heads))
    return layer


def attention_mask(key_padding, *, causal: bool = False):
    """Keras ``attention_mask`` (B, L, L), True = allowed, from a (B, L) padding mask (True = pad)."""
    keep = keras.ops.logical_not(keras.ops.convert_to_tensor(key_padding, dtype="bool"))
    mask = keras.ops.expand_dims(keep, 1)  # (B, 1, L): which keys each query may see
    length = keras.ops.shape(keep)[1]
    mask = keras.ops.repeat(mask, length, axis=1)
    if causal:
        tri = keras.ops.tril(keras.ops.ones((length, length), dtype="int32")) > 0
        mask = keras.ops.logical_and(mask, keras.ops.expand_dims(tri, 0))
    return mask
