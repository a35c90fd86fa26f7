"""Attention written out from its equations, and checked against PyTorch's own layers.

.. math::

    \\mathrm{Attention}(Q, K, V) = \\mathrm{softmax}\\Big(\\frac{Q K^\\top}{\\sqrt{d_k}} + M\\Big) V

``M`` is 0 where a query may look at a key and :math:`-\\infty` where it may not
(padding keys, or future keys under a causal mask).

Mask conventions differ between libraries, which is a classic source of bugs:

* here, ``key_padding_mask`` is ``True`` at PADDING positions (as in ``torch.nn.MultiheadAttention``);
* ``torch.nn.functional.scaled_dot_product_attention`` takes a boolean ``attn_mask`` that is
  ``True`` where attention is ALLOWED (use :func:`allowed_mask` to build one);
* ``keras.layers.MultiHeadAttention`` takes ``attention_mask`` ``True`` where ALLOWED.

A query row with no allowed key at all (a left-padding position under a causal mask) has
weights of zero here and an output of zero, instead of the NaN a plain softmax would give.
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

__all__ = [
    "MultiHeadAttention",
    "allowed_mask",
    "causal_mask",
    "scaled_dot_product_attention",
    "sinusoidal_positions",
]


def causal_mask(length: int, device=None) -> torch.Tensor:
    """(length, length) bool, ``True`` where query ``t`` may look at key ``s`` (``s <= t``)."""
    return torch.ones(length, length, dtype=torch.bool, device=device).tril()


def allowed_mask(q_len: int, k_len: int, *, key_padding_mask=None, causal: bool = False, attn_mask=None,
                 device=None) -> torch.Tensor | None:
    """Combine the masks into one boolean tensor, ``True`` where attention is allowed.

    Shapes: ``key_padding_mask`` (B, k_len), True = padding; ``attn_mask`` broadcastable to
    (..., q_len, k_len), True = allowed. Returns ``None`` when nothing is masked, else a
    tensor broadcastable to (B, 1, q_len, k_len) (or (q_len, k_len) without padding).
    """
    allowed = None
    if causal:
        if q_len != k_len:
            raise ValueError(f"a causal mask needs as many queries as keys, got {q_len} and {k_len}")
        allowed = causal_mask(q_len, device)
    if attn_mask is not None:
        if attn_mask.dtype != torch.bool:
            raise TypeError("attn_mask must be boolean (True = allowed)")
        allowed = attn_mask if allowed is None else allowed & attn_mask
    if key_padding_mask is not None:
        if key_padding_mask.dtype != torch.bool or key_padding_mask.dim() != 2:
            raise TypeError("key_padding_mask must be a (batch, keys) boolean tensor, True = padding")
        keep = (~key_padding_mask)[:, None, None, :]  # (B, 1, 1, Lk)
        allowed = keep if allowed is None else allowed & keep
    return allowed


def scaled_dot_product_attention(q, k, v, *, key_padding_mask=None, causal: bool = False, attn_mask=None,
                                 dropout_p: float = 0.0, training: bool = False):
    """softmax(q kᵀ / √d_k + mask) v, written out. Returns ``(output, weights)``.

    ``q`` (..., Lq, d_k), ``k`` (..., Lk, d_k), ``v`` (..., Lk, d_v); with heads, ``...`` is (B, H).
    ``weights`` (..., Lq, Lk) are the attention probabilities (after dropout, when training).
    """
    d_k = q.shape[-1]
    scores = q @ k.transpose(-2, -1) / math.sqrt(d_k)  # (..., Lq, Lk): one dot product per (query, key)
    allowed = allowed_mask(q.shape[-2], k.shape[-2], key_padding_mask=key_padding_mask, causal=causal,
                           attn_mask=attn_mask, device=q.device)
    if allowed is not None:
        if key_padding_mask is not None and scores.dim() == 3:  # (B, Lq, Lk) without a head axis
            allowed = allowed[:, 0]
        scores = scores.masked_fill(~allowed, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    if allowed is not None:  # rows with no allowed key: 0 instead of NaN
        weights = torch.where(allowed.any(dim=-1, keepdim=True), weights, torch.zeros((), dtype=weights.dtype,
                                                                                     device=weights.device))
    if dropout_p > 0.0 and training:
        weights = F.dropout(weights, p=dropout_p, training=True)
    return weights @ v, weights


class MultiHeadAttention(nn.Module):
    """Multi-head attention from scratch, batch-first.

    Each head ``h`` projects the inputs with its own slice of ``q_proj``, ``k_proj``,
    ``v_proj`` (each an ``E x E`` linear map = ``heads`` maps of ``E x head_dim``),
    runs :func:`scaled_dot_product_attention`, and the heads are concatenated and mixed by
    ``out_proj``. ``torch.nn.MultiheadAttention`` keeps the same three maps packed into a
    single ``in_proj_weight`` of shape (3E, E) (rows: query, key, value) and ``in_proj_bias``
    (3E,); :meth:`from_torch` unpacks it.
    """

    def __init__(self, embed_dim: int, num_heads: int, *, dropout: float = 0.0, bias: bool = True):
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads})")
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.dropout = dropout
        self.q_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.k_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.v_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias)

    def _split(self, x):  # (B, L, E) -> (B, H, L, head_dim)
        b, length, _ = x.shape
        return x.view(b, length, self.num_heads, self.head_dim).transpose(1, 2)

    def forward(self, query, key=None, value=None, *, key_padding_mask=None, causal: bool = False,
                attn_mask=None, need_weights: bool = False):
        """``query`` (B, Lq, E); ``key``/``value`` default to ``query`` (self-attention).

        Returns ``(output (B, Lq, E), weights (B, H, Lq, Lk) or None)``.
        """
        key = query if key is None else key
        value = key if value is None else value
        q, k, v = self._split(self.q_proj(query)), self._split(self.k_proj(key)), self._split(self.v_proj(value))
        out, weights = scaled_dot_product_attention(
            q, k, v, key_padding_mask=key_padding_mask, causal=causal, attn_mask=attn_mask,
            dropout_p=self.dropout, training=self.training)
        b, _, lq, _ = out.shape
        out = out.transpose(1, 2).reshape(b, lq, self.embed_dim)  # concatenate the heads
        return self.out_proj(out), (weights if need_weights else None)

    @classmethod
    def from_torch(cls, mha: nn.MultiheadAttention) -> "MultiHeadAttention":
        """A copy of a ``torch.nn.MultiheadAttention`` (same embed dim for q, k, v)."""
        if not mha._qkv_same_embed_dim:
            raise ValueError("only MultiheadAttention with kdim = vdim = embed_dim is supported")
        e = mha.embed_dim
        has_bias = mha.in_proj_bias is not None
        if mha.bias_k is not None or mha.add_zero_attn:
            raise ValueError("add_bias_kv / add_zero_attn are not supported")
        new = cls(e, mha.num_heads, dropout=mha.dropout, bias=has_bias)
        with torch.no_grad():
            for i, lin in enumerate((new.q_proj, new.k_proj, new.v_proj)):
                lin.weight.copy_(mha.in_proj_weight[i * e:(i + 1) * e])
                if has_bias:
                    lin.bias.copy_(mha.in_proj_bias[i * e:(i + 1) * e])
            new.out_proj.weight.copy_(mha.out_proj.weight)
            if has_bias:
                new.out_proj.bias.copy_(mha.out_proj.bias)
        return new.to(mha.in_proj_weight.device)


def sinusoidal_positions(length: int, dim: int, base: float = 10000.0) -> torch.Tensor:
    """The fixed positional encoding of Vaswani et al. (2017), (length, dim).

    PE[t, 2i] = sin(t / base^(2i/dim)), PE[t, 2i+1] = cos(t / base^(2i/dim)).
    """
    if dim % 2:
        raise ValueError(f"dim must be even, got {dim}")
    t = torch.arange(length, dtype=torch.float64)[:, None]
    freq = base ** (-torch.arange(0, dim, 2, dtype=torch.float64) / dim)
    pe = torch.zeros(length, dim, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(t * freq)
    pe[:, 1::2] = torch.cos(t * freq)
    return pe.float()
