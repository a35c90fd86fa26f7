"""Recurrent and convolutional next-item recommenders (PyTorch).

``GRU4Rec`` and ``LSTM4Rec`` follow RecBole's GRU4Rec: item embedding -> dropout -> a
recurrent layer **without bias terms** -> a linear map back to the embedding size ->
dot product with the item embedding table (the output embedding is **tied** to the
input one). Tying halves the parameters, and every item gets its output vector trained
each time it appears as an input, which helps the many rarely-seen items.

Why no bias: inputs are left-padded with id 0, whose embedding is the zero vector. A
GRU or LSTM without bias maps a zero input and a zero state to a zero state exactly, so
any number of leading padding positions leaves the hidden state at 0: the output for a
sequence does not depend on how much padding precedes it (a biased RNN would drift
during the padding). The tests check this.

``Caser`` (Tang & Wang 2018) looks at the last ``L`` items as an ``L x d`` "image": horizontal
filters (heights 1..L, spanning the whole embedding) catch union-level patterns, vertical
filters (one column per filter, spanning the L rows) make weighted sums of the last items.
It is not causal: one prediction per input row.
"""
from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F

__all__ = ["GRU4Rec", "LSTM4Rec", "Caser"]


class _RNNRec(nn.Module):
    causal = True
    cell = "GRU"

    def __init__(self, n_items: int, embedding_dim: int = 64, hidden_size: int = 128,
                 num_layers: int = 1, dropout: float = 0.3):
        super().__init__()
        if n_items < 2:
            raise ValueError(f"n_items must be >= 2 (padding + one item), got {n_items}")
        self.n_items = n_items
        self.item_embedding = nn.Embedding(n_items, embedding_dim, padding_idx=0)
        self.emb_dropout = nn.Dropout(dropout)
        rnn = {"GRU": nn.GRU, "LSTM": nn.LSTM}[self.cell]
        self.rnn = rnn(embedding_dim, hidden_size, num_layers=num_layers, bias=False, batch_first=True)
        self.dense = nn.Linear(hidden_size, embedding_dim)
        nn.init.xavier_normal_(self.item_embedding.weight[1:])  # row 0 stays zero (padding)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Hidden states ``(B, L, hidden_size)``; the last one is the user's summary."""
        e = self.item_embedding(x) * (x > 0).unsqueeze(-1)
        h, _ = self.rnn(self.emb_dropout(e))
        return h

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, L, n_items)``: position t scores the item that follows position t."""
        return self.dense(self.encode(x)) @ self.item_embedding.weight.T


class GRU4Rec(_RNNRec):
    """GRU next-item recommender (Hidasi et al. 2016, in RecBole's form; causal)."""

    cell = "GRU"


class LSTM4Rec(_RNNRec):
    """The same with an LSTM in place of the GRU."""

    cell = "LSTM"


class Caser(nn.Module):
    """Convolutional sequence embedding (Tang & Wang 2018), without the user embedding
    (the harness identifies users only by their history). Non-causal.

    Uses the last ``L`` items of each input row; ``n_h`` horizontal filters per height
    1..L and ``n_v`` vertical filters.
    """

    causal = False

    def __init__(self, n_items: int, embedding_dim: int = 64, L: int = 5, n_h: int = 16,
                 n_v: int = 4, dropout: float = 0.4):
        super().__init__()
        self.n_items, self.L = n_items, L
        self.item_embedding = nn.Embedding(n_items, embedding_dim, padding_idx=0)
        self.vertical = nn.Conv2d(1, n_v, kernel_size=(L, 1))
        self.horizontal = nn.ModuleList(nn.Conv2d(1, n_h, kernel_size=(h, embedding_dim)) for h in range(1, L + 1))
        self.fc = nn.Linear(n_v * embedding_dim + n_h * L, embedding_dim)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(embedding_dim, n_items)
        nn.init.normal_(self.item_embedding.weight[1:], std=1.0 / embedding_dim)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The sequence vector ``(B, embedding_dim)``."""
        x = x[:, -self.L:]
        if x.shape[1] < self.L:
            x = F.pad(x, (self.L - x.shape[1], 0))
        e = (self.item_embedding(x) * (x > 0).unsqueeze(-1)).unsqueeze(1)  # (B, 1, L, d)
        v = self.vertical(e).flatten(1)  # (B, n_v * d)
        hs = []
        for conv in self.horizontal:
            c = F.relu(conv(e).squeeze(3))  # (B, n_h, L - h + 1)
            hs.append(c.max(dim=2).values)
        z = torch.cat([v] + hs, dim=1)
        return F.relu(self.fc(self.dropout(z)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, n_items)`` of the next item."""
        return self.out(self.encode(x))
