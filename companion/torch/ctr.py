"""Click-through models over a behavior sequence (PyTorch): Embedding&MLP, DIN and BST.

Mirrors :mod:`companion.keras.ctr` (same names and arguments; :func:`companion.keras.load_torch`
copies the weights). Every model maps a candidate item id ``item`` (B,) and its user's behavior
history ``history`` (B, L) of item ids, left-padded with 0, to a click **logit** (B,).

An item is represented by its id embedding concatenated with the mean embedding of its features
(categories, genres: the ``item_features`` multi-hot matrix, row 0 for padding), so its vector has
``2 * embedding_dim`` entries (``embedding_dim`` without features).

* :class:`EmbeddingMLP` — the "Base" model of the DIN paper: the history pooled by a masked sum or
  mean, concatenated with the candidate, into an MLP.
* :class:`DIN` — Deep Interest Network (Zhou et al., KDD 2018): the history pooled with weights from
  the :class:`ActivationUnit`, an MLP on ``[q, k, q − k, q ⊙ k]`` for the candidate ``q`` and each past
  behavior ``k``. ``softmax=False`` keeps the raw weights, as the paper says ("the normalization with
  softmax is abandoned"); ``softmax=True`` normalises them over the valid positions after scaling
  by ``1/√E``, as its official code does. Padding positions get weight 0 either way.
* :class:`BST` — Behavior Sequence Transformer (Chen et al. 2019): the history with the candidate
  appended, learned position embeddings, one Transformer block (post-norm, LeakyReLU feed-forward),
  then the candidate's output and the masked mean of the outputs into an MLP.
* :class:`Dice` — DIN's data-adaptive activation, ``p(s)·s + (1 − p(s))·α·s`` with
  ``p(s) = σ((s − E[s]) / √(Var[s] + ε))`` (batch statistics in training, running ones at inference);
  :class:`PReLU` — ``s`` for ``s > 0`` and ``α·s`` otherwise, ``α`` learned per unit.

Dice on the activation unit normalises over every (row, position) of the batch, padding
positions included (as DeepCTR's implementation does).
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .._checks import check_ctr_model as _check, ctr_feature_means as _feature_means
from .attention import MultiHeadAttention

__all__ = ["ActivationUnit", "BST", "DIN", "Dice", "EmbeddingMLP", "PReLU", "TransformerBlock", "ctr_loss",
           "deepctr_din", "predict_proba"]

class PReLU(nn.Module):
    """``max(s, 0) + α·min(s, 0)`` with one learned ``α`` per unit (last axis), initialised to 0.25."""

    def __init__(self, units: int, init: float = 0.25):
        super().__init__()
        self.alpha = nn.Parameter(torch.full((units,), float(init)))

    def forward(self, x):
        return torch.where(x > 0, x, self.alpha * x)


class Dice(nn.Module):
    """DIN's Dice: ``p·s + (1 − p)·α·s``, ``p = σ(BN(s))`` with a BatchNorm without scale and shift
    over every axis but the last (``momentum`` in PyTorch's convention), ``α`` initialised to 0."""

    def __init__(self, units: int, epsilon: float = 1e-8, momentum: float = 0.1):
        super().__init__()
        self.bn = nn.BatchNorm1d(units, eps=epsilon, momentum=momentum, affine=False)
        self.alpha = nn.Parameter(torch.zeros(units))

    def forward(self, x):
        shape = x.shape
        p = torch.sigmoid(self.bn(x.reshape(-1, shape[-1])).reshape(shape))
        return p * x + (1 - p) * self.alpha * x


def _activation(kind: str, units: int) -> nn.Module:
    return Dice(units) if kind == "dice" else PReLU(units)


class _MLP(nn.Module):
    """Linear → activation for each hidden size, then a Linear to one logit."""

    def __init__(self, in_dim: int, hidden, activation: str):
        super().__init__()
        dims = [in_dim, *hidden]
        self.dense = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.act = nn.ModuleList(_activation(activation, b) for b in hidden)
        self.out = nn.Linear(dims[-1], 1)

    def forward(self, x):
        for d, a in zip(self.dense, self.act):
            x = a(d(x))
        return self.out(x).squeeze(-1)


class _ItemEmbedding(nn.Module):
    """Item id embedding ⊕ mean embedding of the item's features."""

    def __init__(self, n_items: int, item_features, dim: int):
        super().__init__()
        self.item = nn.Embedding(n_items, dim)
        nn.init.normal_(self.item.weight, std=0.05)
        self.dim = dim
        if item_features is not None:
            self.register_buffer("features", torch.as_tensor(_feature_means(item_features)))
            self.feature = nn.Linear(self.features.shape[1], dim, bias=False)
            nn.init.normal_(self.feature.weight, std=0.05)
            self.dim = 2 * dim
        else:
            self.features = None

    def forward(self, ids):
        e = self.item(ids)
        if self.features is None:
            return e
        return torch.cat([e, self.feature(self.features[ids])], dim=-1)


def _masked_mean(x, valid):
    """Mean of ``x`` (B, L, E) over the positions where ``valid`` (B, L) is True; 0 where none is."""
    v = valid.unsqueeze(-1).to(x.dtype)
    return (x * v).sum(1) / v.sum(1).clamp(min=1.0)


def _ids(item, history):
    item = torch.as_tensor(item).long()
    history = torch.as_tensor(history).long()
    if history.dim() != 2 or item.dim() != 1 or item.shape[0] != history.shape[0]:
        raise ValueError(f"item must be (B,) and history (B, L), got {tuple(item.shape)} and {tuple(history.shape)}")
    return item, history


class EmbeddingMLP(nn.Module):
    """DIN's Base model: ``MLP([candidate, pool(history)])`` with a masked ``"sum"`` or ``"mean"`` pool."""

    def __init__(self, n_items: int, item_features=None, *, embedding_dim: int = 8, hidden=(80, 40),
                 activation: str = "prelu", pooling: str = "mean"):
        super().__init__()
        _check(n_items, item_features, embedding_dim, hidden, activation)
        if pooling not in ("sum", "mean"):
            raise ValueError(f"pooling must be 'sum' or 'mean', got {pooling!r}")
        self.pooling = pooling
        self.embed = _ItemEmbedding(n_items, item_features, embedding_dim)
        self.mlp = _MLP(2 * self.embed.dim, hidden, activation)

    def forward(self, item, history):
        item, history = _ids(item, history)
        q, k, valid = self.embed(item), self.embed(history), history > 0
        if self.pooling == "sum":
            pooled = (k * valid.unsqueeze(-1).to(k.dtype)).sum(1)
        else:
            pooled = _masked_mean(k, valid)
        return self.mlp(torch.cat([q, pooled], dim=-1))


class ActivationUnit(nn.Module):
    """DIN's local activation unit: the score of each past behavior ``k`` for the candidate ``q``,
    ``MLP([q, k, q − k, q ⊙ k])`` (hidden layers ``hidden`` with ``activation``, then one output)."""

    def __init__(self, embedding_dim: int, hidden=(36,), activation: str = "prelu"):
        super().__init__()
        self.mlp = _MLP(4 * embedding_dim, hidden, activation)

    def forward(self, query, keys):
        """``query`` (B, E), ``keys`` (B, L, E) → scores (B, L), before any masking."""
        q = query.unsqueeze(1).expand_as(keys)
        return self.mlp(torch.cat([q, keys, q - keys, q * keys], dim=-1))


class DIN(nn.Module):
    """Deep Interest Network: ``MLP([candidate, Σ_ℓ w_ℓ k_ℓ])`` with ``w`` from the activation unit."""

    def __init__(self, n_items: int, item_features=None, *, embedding_dim: int = 8, hidden=(80, 40),
                 activation: str = "prelu", attention_hidden=(36,), attention_activation: str = "prelu",
                 softmax: bool = False):
        super().__init__()
        _check(n_items, item_features, embedding_dim, hidden, activation)
        _check(n_items, item_features, embedding_dim, attention_hidden, attention_activation)
        self.softmax = bool(softmax)
        self.embed = _ItemEmbedding(n_items, item_features, embedding_dim)
        self.attention = ActivationUnit(self.embed.dim, attention_hidden, attention_activation)
        self.mlp = _MLP(2 * self.embed.dim, hidden, activation)

    def _weights(self, q, k, valid):
        scores = self.attention(q, k)
        if not self.softmax:
            return scores * valid.to(scores.dtype)
        scores = (scores / math.sqrt(k.shape[-1])).masked_fill(~valid, float("-inf"))
        w = torch.softmax(scores, dim=-1)
        return torch.nan_to_num(w, nan=0.0)  # a history of padding only: weights 0

    def attention_weights(self, item, history):
        """The weight of each history position (B, L); 0 at padding."""
        item, history = _ids(item, history)
        q, k = self.embed(item), self.embed(history)
        return self._weights(q, k, history > 0)

    def forward(self, item, history):
        item, history = _ids(item, history)
        q, k, valid = self.embed(item), self.embed(history), history > 0
        pooled = (self._weights(q, k, valid).unsqueeze(-1) * k).sum(1)
        return self.mlp(torch.cat([q, pooled], dim=-1))


class TransformerBlock(nn.Module):
    """BST's block: ``x = LN(x + Dropout(MHA(x)))``; ``x = LN(x + Dropout(W2 LeakyReLU(W1 x)))``."""

    def __init__(self, dim: int, heads: int, inner: int, dropout: float):
        super().__init__()
        self.attn = MultiHeadAttention(dim, heads, dropout=dropout)
        self.norm1 = nn.LayerNorm(dim)
        self.ff1 = nn.Linear(dim, inner)
        self.ff2 = nn.Linear(inner, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.drop = nn.Dropout(dropout)

    def forward(self, x, padding):
        a, w = self.attn(x, key_padding_mask=padding, need_weights=True)
        x = self.norm1(x + self.drop(a))
        x = self.norm2(x + self.drop(self.ff2(F.leaky_relu(self.ff1(x), 0.01))))
        return x, w


class BST(nn.Module):
    """Behavior Sequence Transformer: one block over ``[history, candidate]`` with learned positions,
    then ``MLP([output at the candidate, masked mean of the outputs])``."""

    def __init__(self, n_items: int, item_features=None, *, embedding_dim: int = 8, hidden=(80, 40),
                 activation: str = "prelu", max_len: int = 20, heads: int = 2, inner: int | None = None,
                 dropout: float = 0.1):
        super().__init__()
        _check(n_items, item_features, embedding_dim, hidden, activation)
        self.embed = _ItemEmbedding(n_items, item_features, embedding_dim)
        dim = self.embed.dim
        if dim % heads:
            raise ValueError(f"heads ({heads}) must divide the item vector's size ({dim})")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.max_len = int(max_len)
        self.position = nn.Embedding(self.max_len + 1, dim)
        nn.init.normal_(self.position.weight, std=0.05)
        self.block = TransformerBlock(dim, heads, inner or 4 * dim, dropout)
        self.mlp = _MLP(2 * dim, hidden, activation)

    def _encode(self, item, history):
        item, history = _ids(item, history)
        if history.shape[1] != self.max_len:
            raise ValueError(f"history must have max_len = {self.max_len} columns, got {history.shape[1]}")
        seq = torch.cat([history, item.unsqueeze(1)], dim=1)
        x = self.embed(seq) + self.position.weight.unsqueeze(0)
        padding = seq == 0
        out, w = self.block(x, padding)
        return out, w, ~padding

    def attention_weights(self, item, history):
        """The candidate's attention over the history positions (B, L), mean over heads."""
        _, w, _ = self._encode(item, history)
        return w[:, :, -1, :-1].mean(1)

    def forward(self, item, history):
        out, _, valid = self._encode(item, history)
        return self.mlp(torch.cat([out[:, -1], _masked_mean(out, valid)], dim=-1))


# ----------------------------------------------------------------------------- harness
def ctr_loss(model: nn.Module, batch) -> torch.Tensor:
    """Binary cross-entropy on the logits of a batch ``({"item", "history"}, labels)`` (for ``fit``)."""
    x, y = batch
    return F.binary_cross_entropy_with_logits(model(x["item"], x["history"]), y.float())


@torch.no_grad()
def predict_proba(model: nn.Module, inputs: dict, batch_size: int = 4096) -> np.ndarray:
    """Click probabilities (sigmoid of the logits) in eval mode, float64; ``inputs`` as
    :meth:`companion.data.CTRData.inputs` gives them."""
    was = model.training
    model.eval()
    dev = next(model.parameters()).device
    item = torch.as_tensor(np.asarray(inputs["item"]), dtype=torch.long)
    hist = torch.as_tensor(np.asarray(inputs["history"]), dtype=torch.long)
    out = [torch.sigmoid(model(item[s:s + batch_size].to(dev), hist[s:s + batch_size].to(dev))).cpu()
           for s in range(0, len(item), batch_size)]
    model.train(was)
    return torch.cat(out).double().numpy()


def _import_deepctr():
    """Import DeepCTR-Torch without its network version check (it starts a thread that calls
    ``requests.get`` on PyPI and prints a line when offline): the call is answered locally."""
    import threading
    import types
    from unittest import mock

    import requests

    before = set(threading.enumerate())
    with mock.patch.object(requests, "get", return_value=types.SimpleNamespace(status_code=0, text="")):
        import deepctr_torch  # noqa: F401
        from deepctr_torch.models import DIN as _DIN  # noqa: F401
        for t in set(threading.enumerate()) - before:
            t.join(timeout=10)
    import deepctr_torch

    return deepctr_torch


def deepctr_din(n_items: int, categories, *, embedding_dim: int = 8, hidden=(80, 40), attention_hidden=(36,),
                activation: str = "prelu", attention_activation: str = "dice", max_len: int = 20, seed: int = 0):
    """DeepCTR-Torch's DIN on the same inputs as :class:`DIN` (items with one category each).

    Returns ``(model, to_x)``: the ``deepctr_torch.models.DIN`` (outputs probabilities) and a
    function ``to_x(inputs) -> tensor`` that turns ``{"item", "history"}`` (left-padded, as
    :class:`companion.data.CTRData` holds them) into DeepCTR's input: item, category, the history's
    items and categories **right**-padded, and the history length (its masks are built from it).
    """
    dc = _import_deepctr()
    from deepctr_torch.inputs import SparseFeat, VarLenSparseFeat
    from deepctr_torch.models import DIN as DeepCTRDIN

    cats = np.asarray(categories, dtype=np.int64)  # by item id, 0 for padding
    n_cat = int(cats.max()) + 1
    feats = [SparseFeat("item", n_items, embedding_dim=embedding_dim),
             SparseFeat("cate", n_cat, embedding_dim=embedding_dim),
             VarLenSparseFeat(SparseFeat("hist_item", n_items, embedding_dim=embedding_dim, embedding_name="item"),
                              maxlen=max_len, length_name="seq_length"),
             VarLenSparseFeat(SparseFeat("hist_cate", n_cat, embedding_dim=embedding_dim, embedding_name="cate"),
                              maxlen=max_len, length_name="seq_length")]
    torch.manual_seed(seed)
    model = DeepCTRDIN(feats, ["item", "cate"], dnn_hidden_units=tuple(hidden), dnn_activation=activation,
                       att_hidden_size=tuple(attention_hidden), att_activation=attention_activation,
                       init_std=0.05, seed=seed, device="cpu")
    index = model.feature_index

    def to_x(inputs):
        item = np.asarray(inputs["item"], dtype=np.int64)
        hist = np.asarray(inputs["history"], dtype=np.int64)
        length = (hist > 0).sum(1)
        right = np.zeros_like(hist)
        for i, n in enumerate(length):  # left padding -> right padding
            if n:
                right[i, :n] = hist[i, -n:]
        cols = {"item": item[:, None], "cate": cats[item][:, None], "hist_item": right, "hist_cate": cats[right],
                "seq_length": length[:, None]}
        x = np.zeros((len(item), max(e for _, e in index.values())), dtype=np.float32)
        for name, (a, b) in index.items():
            x[:, a:b] = cols[name]
        return torch.as_tensor(x)

    return model, to_x
