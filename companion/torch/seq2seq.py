"""Sequence-to-sequence (序列到序列) models in PyTorch: a GRU encoder-decoder with optional
attention over the encoder states, and a Transformer encoder-decoder (``nn.Transformer``).

Both map ``(src (B, L), tgt_in (B, k))`` to logits ``(B, k, V)``: ``src`` is the left-padded
history (0 = padding), ``tgt_in = [BOS, y_1, .., y_{k-1}]`` the decoder input under **teacher
forcing** (教师强制), so one forward pass scores all ``k`` targets; the loss is

.. math::  \\mathcal{L} = -\\frac{1}{Bk}\\sum_{b}\\sum_{t=1}^{k} \\log p_\\theta(y_{b,t} \\mid y_{b,<t}, x_b).

Attention (Luong et al. 2015 arrangement, after the decoder GRU, so training stays one pass):
``additive`` (Bahdanau et al. 2015) ``e_{t,s} = vᵀ tanh(W_q s_t + W_k h_s)``; ``multiplicative``
(Luong "general") ``e_{t,s} = (W s_t)ᵀ h_s``; then ``α = softmax_s(e)``, ``c_t = Σ_s α_{t,s} h_s``,
``s̃_t = tanh(W_c [s_t; c_t])``. Both are written out here and checked against
``keras.layers.AdditiveAttention`` / ``keras.layers.Attention`` in the tests.

:func:`step_function` turns a trained model into a step function for :mod:`companion.decoding`
(free running: one decoder step per call). :func:`scheduled_sampling_loss` is the PyTorch-only
remedy of Bengio et al. (2015): a loop over the ``k`` steps that feeds the model's own sample
instead of the true token with probability ``feed_prob``.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .._checks import check_int, check_seq2seq_gru
from .training import fit

__all__ = ["AdditiveAttention", "MultiplicativeAttention", "Seq2SeqGRU", "Seq2SeqTransformer", "fit_seq2seq",
           "scheduled_sampling_loss", "seq2seq_loss", "step_function", "teacher_forced_log_probs"]


def _masked_softmax(scores, key_padding_mask):
    if key_padding_mask is not None:
        scores = scores.masked_fill(key_padding_mask[:, None, :], float("-inf"))
    return torch.softmax(scores, dim=-1)


class AdditiveAttention(nn.Module):
    """Bahdanau's additive attention: ``e_{t,s} = vᵀ tanh(W_q q_t + W_k k_s)``, weights
    ``softmax_s(e)``, output ``Σ_s α_{t,s} v_s``. Returns ``(context (B, Tq, d_v), weights (B, Tq, Tk))``.
    ``key_padding_mask`` (B, Tk) is True at padding."""

    def __init__(self, query_dim: int, key_dim: int, attention_dim: int):
        super().__init__()
        self.W_q = nn.Linear(query_dim, attention_dim, bias=False)
        self.W_k = nn.Linear(key_dim, attention_dim, bias=False)
        self.v = nn.Parameter(torch.empty(attention_dim).uniform_(-0.1, 0.1))

    def forward(self, query, keys, values=None, key_padding_mask=None):
        values = keys if values is None else values
        e = (torch.tanh(self.W_q(query)[:, :, None, :] + self.W_k(keys)[:, None, :, :]) * self.v).sum(-1)
        w = _masked_softmax(e, key_padding_mask)
        return w @ values, w


class MultiplicativeAttention(nn.Module):
    """Luong's multiplicative ("general") attention: ``e_{t,s} = (W q_t)ᵀ k_s``.
    Returns ``(context, weights)`` as :class:`AdditiveAttention`."""

    def __init__(self, query_dim: int, key_dim: int):
        super().__init__()
        self.W = nn.Linear(query_dim, key_dim, bias=False)

    def forward(self, query, keys, values=None, key_padding_mask=None):
        values = keys if values is None else values
        e = self.W(query) @ keys.transpose(1, 2)
        w = _masked_softmax(e, key_padding_mask)
        return w @ values, w


class Seq2SeqGRU(nn.Module):
    """GRU encoder-decoder (编码器-解码器). The encoder's last hidden state starts the decoder
    (Cho et al. 2014; Sutskever et al. 2014); ``attention`` = ``None``, ``"additive"`` or
    ``"multiplicative"`` adds attention over all encoder states (module docstring)."""

    def __init__(self, vocab_size: int, embedding_dim: int = 32, hidden_size: int = 64,
                 attention: str | None = None, dropout: float = 0.0):
        super().__init__()
        check_seq2seq_gru(vocab_size, embedding_dim, hidden_size, dropout, attention)
        self.vocab_size, self.hidden_size, self.attention_kind = vocab_size, hidden_size, attention
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=0)
        self.encoder = nn.GRU(embedding_dim, hidden_size, batch_first=True)
        self.decoder = nn.GRU(embedding_dim, hidden_size, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        if attention == "additive":
            self.attention = AdditiveAttention(hidden_size, hidden_size, hidden_size)
        elif attention == "multiplicative":
            self.attention = MultiplicativeAttention(hidden_size, hidden_size)
        else:
            self.attention = None
        if attention:
            self.combine = nn.Linear(2 * hidden_size, hidden_size)
        self.out = nn.Linear(hidden_size, vocab_size)

    def encode(self, src):
        """``(memory (B, L, H), h (1, B, H), padding (B, L) True at padding)``."""
        src = torch.as_tensor(src, dtype=torch.long, device=self.out.weight.device)
        memory, h = self.encoder(self.dropout(self.embedding(src)))
        return memory, h, src == 0

    def decode(self, tgt_in, memory, h, padding):
        """Decoder over ``tgt_in`` (B, t) from hidden state ``h``: ``(logits, h_last, weights)``."""
        tgt_in = torch.as_tensor(tgt_in, dtype=torch.long, device=self.out.weight.device)
        s, h = self.decoder(self.dropout(self.embedding(tgt_in)), h)
        weights = None
        if self.attention is not None:
            c, weights = self.attention(s, memory, memory, key_padding_mask=padding)
            s = torch.tanh(self.combine(torch.cat([s, c], dim=-1)))
        return self.out(self.dropout(s)), h, weights

    def forward(self, src, tgt_in):
        memory, h, padding = self.encode(src)
        return self.decode(tgt_in, memory, h, padding)[0]


class Seq2SeqTransformer(nn.Module):
    """Transformer encoder-decoder (Vaswani et al. 2017), source 004's model done right: token and
    learned position embeddings, ``nn.Transformer`` (post-norm, batch-first) with the source's
    padding as ``src_key_padding_mask``/``memory_key_padding_mask`` and a causal ``tgt_mask``."""

    def __init__(self, vocab_size: int, d_model: int = 32, nhead: int = 2, num_layers: int = 1,
                 dim_feedforward: int = 64, dropout: float = 0.1, max_len: int = 64):
        super().__init__()
        check_int("vocab_size", vocab_size, 4)
        check_int("max_len", max_len)
        if d_model % nhead:
            raise ValueError(f"d_model ({d_model}) must be divisible by nhead ({nhead})")
        self.vocab_size, self.max_len = vocab_size, max_len
        self.embedding = nn.Embedding(vocab_size, d_model, padding_idx=0)
        self.src_position = nn.Embedding(max_len, d_model)
        self.tgt_position = nn.Embedding(max_len, d_model)
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, batch_first=True)
        encoder = nn.TransformerEncoder(layer, num_layers, norm=nn.LayerNorm(d_model),
                                        enable_nested_tensor=False)  # the same numerics in train and eval mode
        self.transformer = nn.Transformer(d_model, nhead, num_layers, num_layers, dim_feedforward, dropout,
                                          custom_encoder=encoder, batch_first=True)
        self.out = nn.Linear(d_model, vocab_size)

    def _embed(self, x, position):
        if x.shape[1] > self.max_len:
            raise ValueError(f"sequence of length {x.shape[1]} is longer than max_len={self.max_len}")
        return self.embedding(x) + position(torch.arange(x.shape[1], device=x.device))

    def encode(self, src):
        """``(memory (B, L, d), None, padding (B, L))`` (the same triple as :class:`Seq2SeqGRU`)."""
        src = torch.as_tensor(src, dtype=torch.long, device=self.out.weight.device)
        padding = src == 0
        memory = self.transformer.encoder(self._embed(src, self.src_position), src_key_padding_mask=padding)
        return memory, None, padding

    def decode(self, tgt_in, memory, h, padding):
        tgt_in = torch.as_tensor(tgt_in, dtype=torch.long, device=self.out.weight.device)
        t = tgt_in.shape[1]
        causal = torch.ones(t, t, dtype=torch.bool, device=tgt_in.device).triu(1)  # True = NOT allowed
        y = self.transformer.decoder(self._embed(tgt_in, self.tgt_position), memory, tgt_mask=causal,
                                     memory_key_padding_mask=padding, tgt_is_causal=True)
        return self.out(y), None, None

    def forward(self, src, tgt_in):
        memory, _, padding = self.encode(src)
        return self.decode(tgt_in, memory, None, padding)[0]


def seq2seq_loss(model, batch):
    """Teacher-forced cross-entropy of a ``(src, tgt_in, tgt_out)`` batch: one forward pass."""
    src, tgt_in, tgt_out = batch
    logits = model(src, tgt_in)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt_out.reshape(-1))


def scheduled_sampling_loss(feed_prob, *, seed: int = 0):
    """Bengio et al. (2015): a loss function for :func:`companion.torch.fit` that decodes step by step
    and feeds, at each step after the first, a token SAMPLED from the model's own previous output
    with probability ``feed_prob()`` (a callable, so a schedule can raise it epoch by epoch),
    the true token otherwise. The loss is the same cross-entropy against the true targets."""
    gen = torch.Generator().manual_seed(int(seed))

    def loss_fn(model, batch):
        src, tgt_in, tgt_out = batch
        memory, h, padding = model.encode(src)
        p = float(feed_prob())
        k = tgt_in.shape[1]
        inp = tgt_in[:, :1]
        prefix = inp
        losses = []
        for t in range(k):
            if isinstance(model, Seq2SeqGRU):
                logits, h, _ = model.decode(inp, memory, h, padding)
                logits = logits[:, -1]
            else:  # a Transformer re-reads its prefix
                logits = model.decode(prefix, memory, None, padding)[0][:, -1]
            losses.append(F.cross_entropy(logits, tgt_out[:, t], reduction="none"))
            if t + 1 < k:
                with torch.no_grad():
                    own = torch.multinomial(torch.softmax(logits.float().cpu(), -1), 1, generator=gen).to(src.device)
                    use_own = torch.rand(len(src), 1, generator=gen).to(src.device) < p
                inp = torch.where(use_own, own, tgt_in[:, t + 1:t + 2])
                prefix = torch.cat([prefix, inp], dim=1)
        return torch.stack(losses, 1).mean()

    return loss_fn


@torch.no_grad()
def teacher_forced_log_probs(model, src, tgt_in, batch_size: int = 1024) -> np.ndarray:
    """``log p(· | y_<t, x)`` for every position under teacher forcing, (n, k, V) float64."""
    model.eval()
    out = []
    for s in range(0, len(src), batch_size):
        logits = model(src[s:s + batch_size], tgt_in[s:s + batch_size])
        out.append(torch.log_softmax(logits.double(), -1).cpu().numpy())
    return np.concatenate(out)


def step_function(model, src):
    """``(step, state)`` for :mod:`companion.decoding`: free-running decoding of ``model`` on the
    inputs ``src`` (n, L). The state holds the row of each hypothesis and its decoder state (the
    GRU's hidden vector, or a Transformer's prefix); the encoder runs once."""
    model.eval()
    with torch.no_grad():
        memory, h, padding = model.encode(src)
    n = memory.shape[0]
    rows = np.arange(n)
    if isinstance(model, Seq2SeqGRU):
        state = (rows, h[0])

        def step(tokens, state):
            r, hid = state
            r_t = torch.as_tensor(r, device=memory.device)
            with torch.no_grad():
                logits, h_new, _ = model.decode(torch.as_tensor(tokens)[:, None], memory[r_t], hid[None].contiguous(),
                                                padding[r_t])
                logp = torch.log_softmax(logits[:, -1].double(), -1).cpu().numpy()
            return logp, (r, h_new[0])
    else:
        state = (rows, np.zeros((n, 0), dtype=np.int64))

        def step(tokens, state):
            r, prefix = state
            prefix = np.concatenate([prefix, np.asarray(tokens, dtype=np.int64)[:, None]], axis=1)
            r_t = torch.as_tensor(r, device=memory.device)
            with torch.no_grad():
                logits = model.decode(prefix, memory[r_t], None, padding[r_t])[0]
                logp = torch.log_softmax(logits[:, -1].double(), -1).cpu().numpy()
            return logp, (r, prefix)
    return step, state


def fit_seq2seq(model, train, valid, *, epochs: int = 10, lr: float = 3e-3, batch_size: int = 256,
                patience: int | None = 3, seed: int = 0, loss=None, progress: bool = False):
    """Train on ``train`` (a :class:`~companion.data.funnel.FunnelPart`, teacher forcing unless
    ``loss`` is given, e.g. :func:`scheduled_sampling_loss`), early-stopping on the validation
    teacher-forced log-likelihood per token (``metric="valid_loglik"``). Returns the History."""
    from ..data import batch_stream
    from .training import torch_permutation

    src, (tgt_in, tgt_out) = train.src, train.decoder_io()
    v_in, v_out = valid.decoder_io()
    batches = batch_stream(src, tgt_in, tgt_out, batch_size=batch_size, permutation=torch_permutation(seed))

    def evaluate(m):
        lp = teacher_forced_log_probs(m, valid.src, v_in)
        return float(np.take_along_axis(lp, v_out[..., None], -1).mean())

    return fit(model, lambda: (tuple(torch.as_tensor(a) for a in b) for b in batches()), loss or seq2seq_loss,
               evaluate=evaluate, epochs=epochs, lr=lr, patience=patience, metric="valid_loglik", progress=progress)

