"""SASRec: self-attentive sequential recommendation (Kang & McAuley 2018), PyTorch.

The model, in RecBole's form (the form whose numbers the book compares against):

* input: item embedding (shared with the output, row 0 = padding) + a learned position
  embedding, then layer norm and dropout;
* ``num_blocks`` Transformer encoder blocks with a **causal** mask (position ``t`` sees
  only positions ``<= t``) and a key-padding mask (nobody looks at padding):
  ``x = LN(x + Dropout(MHA(x)))``, ``x = LN(x + Dropout(W2 GELU(W1 x)))`` (post-norm);
* output: the hidden state at position ``t`` dotted with every item embedding gives the
  logits of the item after ``t``.

It follows the next-item harness contract (:mod:`companion.torch.next_item`): ``causal = True``,
``(B, L)`` left-padded int64 ids -> ``(B, L, n_items)`` logits. Inputs shorter than
``max_len`` keep their right-aligned positions (the last item always has position
``max_len - 1``), so the same sequence gets the same output with any amount of padding.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from . import attention  # the module, so this one exports only SASRec's own classes (see tests/test_mirror.py)

__all__ = ["SASRec", "SASRecBlock"]


class SASRecBlock(nn.Module):
    """One causal self-attention block: attention + feed-forward, each with residual and layer norm."""

    def __init__(self, hidden: int, heads: int, inner: int, dropout: float, attn_dropout: float,
                 eps: float = 1e-5):
        super().__init__()
        self.attn = attention.MultiHeadAttention(hidden, heads, dropout=attn_dropout)
        self.norm1 = nn.LayerNorm(hidden, eps=eps)
        self.ff1 = nn.Linear(hidden, inner)
        self.ff2 = nn.Linear(inner, hidden)
        self.norm2 = nn.LayerNorm(hidden, eps=eps)
        self.drop = nn.Dropout(dropout)

    def forward(self, x, pad, need_weights: bool = False):
        a, w = self.attn(x, key_padding_mask=pad, causal=True, need_weights=need_weights)
        x = self.norm1(x + self.drop(a))
        f = self.ff2(self.drop(F.gelu(self.ff1(x))))
        return self.norm2(x + self.drop(f)), w


class SASRec(nn.Module):
    """Self-attentive sequential recommender (causal; see the module docstring).

    Parameters follow RecBole's SASRec: ``hidden`` 64, ``heads`` 2, ``num_blocks`` 2,
    ``inner`` 256 (feed-forward size), ``dropout`` (hidden) and ``attn_dropout``.
    ``positions``: ``"learned"`` (an embedding per position, as SASRec), ``"sinusoidal"``
    (fixed, as the original Transformer) or ``None`` (no position information at all).
    ``position_scale`` multiplies the position vectors before they are added to the item
    embeddings. Only the ratio of the two matters (a layer norm follows the sum): the
    sinusoidal table has RMS ``1/sqrt(2)`` against the items' ``N(0, 0.02)``, so at the default
    1.0 the input is mostly position; ``0.02`` gives Vaswani et al.'s ratio (embeddings drawn
    with variance ``1/d`` and multiplied by ``sqrt(d)``, i.e. RMS 1, plus the table).
    """

    causal = True

    def __init__(self, n_items: int, max_len: int = 50, *, hidden: int = 64, heads: int = 2, num_blocks: int = 2,
                 inner: int = 256, dropout: float = 0.2, attn_dropout: float | None = None,
                 positions: str | None = "learned", eps: float = 1e-5, position_scale: float = 1.0):
        super().__init__()
        if n_items < 2:
            raise ValueError(f"n_items must be >= 2 (padding + one item), got {n_items}")
        if positions not in ("learned", "sinusoidal", None):
            raise ValueError(f"positions must be 'learned', 'sinusoidal' or None, got {positions!r}")
        if not float(position_scale) > 0:
            raise ValueError(f"position_scale must be a positive number, got {position_scale!r}")
        attn_dropout = dropout if attn_dropout is None else attn_dropout
        self.n_items, self.max_len, self.positions = n_items, max_len, positions
        self.position_scale = float(position_scale)
        self.config = dict(max_len=max_len, hidden=hidden, heads=heads, num_blocks=num_blocks, inner=inner,
                           dropout=dropout, attn_dropout=attn_dropout, positions=positions, eps=eps,
                           position_scale=self.position_scale)
        self.item_embedding = nn.Embedding(n_items, hidden, padding_idx=0)
        if positions == "learned":
            self.position_embedding = nn.Embedding(max_len, hidden)
        elif positions == "sinusoidal":
            self.register_buffer("position_table", attention.sinusoidal_positions(max_len, hidden), persistent=False)
        self.norm = nn.LayerNorm(hidden, eps=eps)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(
            SASRecBlock(hidden, heads, inner, dropout, attn_dropout, eps) for _ in range(num_blocks))
        self.apply(self._init)

    @staticmethod
    def _init(m):  # RecBole's initialisation: N(0, 0.02) weights, zero biases
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)
        if isinstance(m, nn.Embedding) and m.padding_idx is not None:
            with torch.no_grad():
                m.weight[m.padding_idx].zero_()

    def _position(self, length: int, device):
        if length > self.max_len:
            raise ValueError(f"input length {length} exceeds max_len {self.max_len}")
        pos = torch.arange(self.max_len - length, self.max_len, device=device)
        if self.positions == "learned":
            return self.position_embedding(pos)
        if self.positions == "sinusoidal":
            return self.position_table[pos]
        return None

    def encode(self, x: torch.Tensor, *, return_weights: bool = False):
        """Hidden states ``(B, L, hidden)``; with ``return_weights``, also the attention
        weights of every block, a list of ``(B, heads, L, L)`` tensors."""
        if x.dim() != 2:
            raise ValueError(f"expected (batch, length) item ids, got shape {tuple(x.shape)}")
        pad = x == 0
        h = self.item_embedding(x)
        p = self._position(x.shape[1], x.device)
        if p is not None:
            h = h + (p if self.position_scale == 1.0 else self.position_scale * p)
        h = self.drop(self.norm(h))
        weights = []
        for block in self.blocks:
            h, w = block(h, pad, need_weights=return_weights)
            weights.append(w)
        return (h, weights) if return_weights else h

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, L, n_items)``: position t scores the item that follows position t."""
        return self.encode(x) @ self.item_embedding.weight.T

    @torch.no_grad()
    def attention_maps(self, x) -> list:
        """Attention weights (NumPy, ``(B, heads, L, L)`` per block) of the model in eval mode."""
        was = self.training
        self.eval()
        x = torch.as_tensor(x, dtype=torch.long, device=self.item_embedding.weight.device)
        _, w = self.encode(x, return_weights=True)
        self.train(was)
        return [t.cpu().numpy() for t in w]
