"""Sequence classifiers: :class:`PurchaseLSTM`, "will this session end in a purchase?".

Mirrors :func:`companion.keras.classifiers.PurchaseLSTM` layer for layer, including its
initialisation and its dropout: Keras's ``LSTM(dropout=..., recurrent_dropout=...)`` draws ONE
dropout mask per sequence for the inputs and one for the previous hidden state ``h_{t-1}`` and
reuses them at every time step (variational dropout, Gal & Ghahramani 2016). ``torch.nn.LSTM``'s
``dropout`` argument is something else (dropout between stacked layers, no effect with one layer),
so this model steps an ``nn.LSTMCell`` through time and applies the masks itself.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

__all__ = ["PurchaseLSTM", "predict_proba", "purchase_batches", "purchase_loss"]


class PurchaseLSTM(nn.Module):
    """Embed (event type, category), run an LSTM over the prefix, map the last state to a logit.

    Inputs are left-padded int64 arrays ``(batch, time)`` with 0 = padding (see
    :meth:`companion.data.purchase.PurchaseSessions.arrays`); padded steps are skipped (the state is
    carried over them), as Keras's masking does. ``forward`` returns logits of shape ``(batch,)``.

    Parameters: ``n_categories`` (codes 1..n_categories), ``n_event_types`` (codes 1..n),
    embedding sizes, ``hidden`` units, ``dropout`` on the LSTM input, ``recurrent_dropout`` on
    ``h_{t-1}`` (both one mask per sequence), ``output_dropout`` before the output layer.
    """

    def __init__(self, n_categories: int, n_event_types: int = 2, *, event_dim: int = 4,
                 category_dim: int = 8, hidden: int = 32, dropout: float = 0.2,
                 recurrent_dropout: float = 0.2, output_dropout: float = 0.2):
        super().__init__()
        for name, v in [("n_categories", n_categories), ("n_event_types", n_event_types),
                        ("event_dim", event_dim), ("category_dim", category_dim), ("hidden", hidden)]:
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"{name} must be a positive int, got {v!r}")
        for name, v in [("dropout", dropout), ("recurrent_dropout", recurrent_dropout),
                        ("output_dropout", output_dropout)]:
            if not 0.0 <= v < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {v}")
        self.n_categories, self.n_event_types, self.hidden = int(n_categories), int(n_event_types), int(hidden)
        self.dropout, self.recurrent_dropout = float(dropout), float(recurrent_dropout)
        self.event_embedding = nn.Embedding(n_event_types + 1, event_dim)
        self.category_embedding = nn.Embedding(n_categories + 1, category_dim)
        self.cell = nn.LSTMCell(event_dim + category_dim, hidden)
        self.output_dropout = nn.Dropout(output_dropout)
        self.head = nn.Linear(hidden, 1)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Keras's defaults: uniform(-0.05, 0.05) embeddings, Glorot-uniform input kernel,
        orthogonal recurrent kernel, zero biases except 1 for the forget gate, Glorot head."""
        with torch.no_grad():
            nn.init.uniform_(self.event_embedding.weight, -0.05, 0.05)
            nn.init.uniform_(self.category_embedding.weight, -0.05, 0.05)
            # Keras's kernel is (in, 4H); PyTorch stores its transpose (4H, in): same fans.
            nn.init.xavier_uniform_(self.cell.weight_ih)
            w = torch.empty(self.hidden, 4 * self.hidden)
            nn.init.orthogonal_(w)
            self.cell.weight_hh.copy_(w.T)
            self.cell.bias_ih.zero_()
            self.cell.bias_ih[self.hidden:2 * self.hidden] = 1.0  # gate order i, f, g, o
            self.cell.bias_hh.zero_()
            nn.init.xavier_uniform_(self.head.weight)
            nn.init.zeros_(self.head.bias)

    def _mask(self, shape, p, like):
        if not self.training or p == 0.0:
            return None
        return torch.bernoulli(torch.full(shape, 1.0 - p, device=like.device)) / (1.0 - p)

    def forward(self, events: torch.Tensor, categories: torch.Tensor) -> torch.Tensor:
        if events.shape != categories.shape or events.dim() != 2:
            raise ValueError(f"events and categories must both be (batch, time), got "
                             f"{tuple(events.shape)} and {tuple(categories.shape)}")
        present = events > 0
        if (present[:, :-1] & ~present[:, 1:]).any():
            raise ValueError("sequences must be left-padded: no padding (0) after the first event")
        # left padding: columns where every row is still padding change nothing; skip them
        start = int(present.any(0).int().argmax()) if present.any() else events.shape[1]
        events, categories, present = events[:, start:], categories[:, start:], present[:, start:]
        x = torch.cat([self.event_embedding(events), self.category_embedding(categories)], dim=-1)
        B, L, D = x.shape
        in_mask = self._mask((B, D), self.dropout, x)  # one mask per sequence, reused at every step
        if in_mask is not None:
            x = x * in_mask.unsqueeze(1)
        rec_mask = self._mask((B, self.hidden), self.recurrent_dropout, x)
        cell = self.cell
        # the input part of the gates for all steps at once: (B, L, 4H), gate order i, f, g, o
        pre = torch.nn.functional.linear(x, cell.weight_ih, cell.bias_ih + cell.bias_hh)
        h = x.new_zeros(B, self.hidden)
        c = x.new_zeros(B, self.hidden)
        H = self.hidden
        m = present.unsqueeze(-1).to(x.dtype)
        for t in range(L):
            h_in = h if rec_mask is None else h * rec_mask
            gates = pre[:, t] + h_in @ cell.weight_hh.T
            i, f, o = torch.sigmoid(gates[:, :2 * H]).chunk(2, 1) + (torch.sigmoid(gates[:, 3 * H:]),)
            g = torch.tanh(gates[:, 2 * H:3 * H])
            c_new = f * c + i * g
            h_new = o * torch.tanh(c_new)
            # padded step: keep the state. With left padding the state before the first event is 0,
            # so multiplying by the mask is the same as Keras's "carry the state over masked steps".
            h = h_new * m[:, t]
            c = c_new * m[:, t]
        return self.head(self.output_dropout(h)).squeeze(-1)


def purchase_loss(model: nn.Module, batch) -> torch.Tensor:
    """Binary cross-entropy on logits for a batch ``(events, categories, labels)`` (for ``fit``)."""
    events, categories, y = batch
    return nn.functional.binary_cross_entropy_with_logits(model(events, categories), y.float())


def purchase_batches(events, categories, labels, *, batch_size: int = 128, pool: int = 8, seed: int = 0):
    """A zero-argument callable for :func:`companion.torch.training.fit`: one epoch of shuffled batches.

    Length bucketing: each epoch shuffles the rows, sorts each pool of ``pool * batch_size`` rows by
    prefix length, cuts batches, and shuffles the batch order. Rows of similar length share a batch,
    so the loop over time (which skips all-padding columns) is short for short prefixes. Epoch ``e``
    uses seed ``seed + e``, so runs repeat exactly.
    """
    ev = torch.as_tensor(np.asarray(events), dtype=torch.long)
    ca = torch.as_tensor(np.asarray(categories), dtype=torch.long)
    y = torch.as_tensor(np.asarray(labels), dtype=torch.float32)
    if not (len(ev) == len(ca) == len(y)):
        raise ValueError(f"events, categories and labels differ in length: {len(ev)}, {len(ca)}, {len(y)}")
    if batch_size < 1 or pool < 1:
        raise ValueError("batch_size and pool must be >= 1")
    lengths = (ev > 0).sum(1).numpy()
    epoch = [0]

    def make():
        rng = np.random.default_rng(seed + epoch[0])
        epoch[0] += 1
        order = rng.permutation(len(y))
        size = pool * batch_size
        chunks = []
        for s in range(0, len(order), size):
            part = order[s:s + size]
            part = part[np.argsort(lengths[part], kind="stable")]
            chunks += [part[i:i + batch_size] for i in range(0, len(part), batch_size)]
        for j in rng.permutation(len(chunks)):
            idx = torch.as_tensor(chunks[j])
            yield ev[idx], ca[idx], y[idx]

    return make


@torch.no_grad()
def predict_proba(model: nn.Module, events, categories, batch_size: int = 2048) -> np.ndarray:
    """Purchase probabilities (sigmoid of the logits) in eval mode, as a NumPy array."""
    was = model.training
    model.eval()
    dev = next(model.parameters()).device
    ev = torch.as_tensor(np.asarray(events), dtype=torch.long)
    ca = torch.as_tensor(np.asarray(categories), dtype=torch.long)
    out = [torch.sigmoid(model(ev[s:s + batch_size].to(dev), ca[s:s + batch_size].to(dev))).cpu()
           for s in range(0, len(ev), batch_size)]
    model.train(was)
    return torch.cat(out).double().numpy()
