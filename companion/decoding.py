"""Decoding a sequence model, framework-neutral: greedy, beam search, exhaustive search, sampling.

Every decoder takes a **step function** ``step(tokens, state) -> (log_probs, new_state)``:
``tokens`` (n,) int64 are the last tokens of ``n`` hypotheses (``BOS`` first), ``state`` their
states (whatever the model needs: a GRU's hidden vector, a Transformer's prefix, an oracle's
belief), and ``log_probs`` (n, V) the log-probabilities of the next token. A state is a NumPy
array, a tensor with the hypotheses along axis 0, or a tuple/list/dict of those (or ``None``);
the decoders reorder it with :func:`take`. Sequences have a fixed length ``k``: a model that
has ended (``EOS``) keeps emitting ``EOS``, so "short" sequences are those that end early.

The score of a sequence is its log-probability ``Σ_t log p(y_t | y_<t, x)``. ``allowed`` (a
boolean mask over the vocabulary) removes tokens that can never be an output (PAD, BOS).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = ["autoregressive", "beam_search", "exhaustive_search", "greedy", "length_normalised", "no_repeats", "sample",
           "sequence_log_prob", "take"]


def take(state, idx):
    """Rows ``idx`` of every array in ``state`` (NumPy, PyTorch, or anything indexable by an int array)."""
    if state is None:
        return None
    if isinstance(state, dict):
        return {k: take(v, idx) for k, v in state.items()}
    if isinstance(state, (tuple, list)):
        return type(state)(take(v, idx) for v in state)
    if isinstance(state, np.ndarray):
        return state[idx]
    if hasattr(state, "index_select"):  # torch
        import torch

        return state.index_select(0, torch.as_tensor(np.asarray(idx), device=state.device))
    return np.asarray(state)[idx]


def _masked(logp, allowed):
    logp = np.asarray(logp, dtype=np.float64)
    if allowed is not None:
        allowed = np.asarray(allowed, dtype=bool)
        if allowed.shape != logp.shape[1:]:
            raise ValueError(f"allowed must have {logp.shape[1]} entries, got {allowed.shape}")
        logp = np.where(allowed, logp, -np.inf)
    return logp


def _top_width(cand, width: int) -> np.ndarray:
    """``np.argsort(-cand, axis=1, kind="stable")[:, :width]`` (best first, ties to the lower index),
    without sorting whole rows when they are long: the ``width``-th largest value of each row
    (``np.partition``) cuts the candidates, and only those are sorted."""
    n, m = cand.shape
    if m <= 64 * width:
        return np.argsort(-cand, axis=1, kind="stable")[:, :width]
    thr = np.partition(cand, m - width, axis=1)[:, m - width]
    rows, cols = np.nonzero(cand >= thr[:, None])
    order = np.lexsort((cols, -cand[rows, cols], rows))
    rows, cols = rows[order], cols[order]
    start = np.searchsorted(rows, np.arange(n))
    return cols[start[:, None] + np.arange(width)]


def _log_normalise(z):
    """``z - logsumexp(z)`` per row (the max-shifted form; rows that are all ``-inf`` stay ``-inf``)."""
    top = z.max(axis=1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        norm = top + np.log(np.exp(z - top).sum(axis=1, keepdims=True))
    return np.where(np.isfinite(norm), z - norm, -np.inf)


def _check(n, k, bos):
    for name, v in (("n", n), ("k", k)):
        if isinstance(v, bool) or int(v) != v or v < 1:
            raise ValueError(f"{name} must be a positive int, got {v!r}")
    return np.full(int(n), int(bos), dtype=np.int64)


def greedy(step: Callable, state, n: int, k: int, *, bos: int = 1, allowed=None):
    """The most probable next token at every step. Returns ``(seqs (n, k), log_prob (n,))``."""
    tok = _check(n, k, bos)
    seqs, score = np.zeros((n, k), dtype=np.int64), np.zeros(n)
    for t in range(k):
        logp, state = step(tok, state)
        logp = _masked(logp, allowed)
        tok = logp.argmax(1)  # the first maximum, as np.argsort(..., kind="stable") in beam_search
        score += logp[np.arange(n), tok]
        seqs[:, t] = tok
    return seqs, score


def beam_search(step: Callable, state, n: int, k: int, width: int, *, bos: int = 1, allowed=None,
                length_penalty: float = 0.0, eos: int | None = None):
    """Beam search: keep the ``width`` best prefixes of every input at every step.

    Returns ``(seqs (n, width, k), scores (n, width))``, best first; ``scores`` are the summed
    log-probabilities. Ties go to the lower (beam, token) index, so ``width=1`` is :func:`greedy`.
    With ``length_penalty = α > 0`` (and ``eos``) the final ranking divides each score by
    GNMT's ``((5 + |y|) / 6) ** α`` (Wu et al. 2016), ``|y|`` the length up to and including the
    first ``eos``; the returned ``scores`` stay the plain log-probabilities.
    """
    tok = _check(n, k, bos)
    width = int(width)
    if width < 1:
        raise ValueError(f"width must be >= 1, got {width}")
    # start: one hypothesis per input
    seqs = np.zeros((n, 1, 0), dtype=np.int64)
    score = np.zeros((n, 1))
    for t in range(k):
        b = seqs.shape[1]
        logp, state = step(tok, state)
        logp = _masked(logp, allowed)
        V = logp.shape[1]
        cand = (score[:, :, None] + logp.reshape(n, b, V)).reshape(n, b * V)
        order = _top_width(cand, width)
        new_score = np.take_along_axis(cand, order, 1)
        beam, token = order // V, order % V
        keep = np.isfinite(new_score)  # fewer than `width` possible prefixes: drop the impossible
        if not keep.all():
            m = int(keep.sum(1).min())
            if m == 0:
                raise ValueError("no hypothesis has a finite score; check `allowed`")
            order, new_score, beam, token = order[:, :m], new_score[:, :m], beam[:, :m], token[:, :m]
        seqs = np.concatenate([np.take_along_axis(seqs, beam[:, :, None], 1), token[:, :, None]], axis=2)
        rows = (np.arange(n)[:, None] * b + beam).ravel()
        state = take(state, rows)
        tok, score = token.ravel(), new_score
    if length_penalty:
        if eos is None:
            raise ValueError("length_penalty needs the eos token")
        L = np.where((seqs == eos).any(2), (seqs == eos).argmax(2) + 1, k)
        norm = score / ((5.0 + L) / 6.0) ** length_penalty
        order = np.argsort(-norm, axis=1, kind="stable")
        seqs, score = np.take_along_axis(seqs, order[:, :, None], 1), np.take_along_axis(score, order, 1)
    return seqs, score


def length_normalised(seqs, scores, eos: int, alpha: float = 1.0):
    """GNMT's length-normalised score ``score / ((5 + |y|) / 6) ** alpha``."""
    seqs = np.asarray(seqs)
    k = seqs.shape[-1]
    L = np.where((seqs == eos).any(-1), (seqs == eos).argmax(-1) + 1, k)
    return np.asarray(scores) / ((5.0 + L) / 6.0) ** alpha


def exhaustive_search(step: Callable, state, n: int, k: int, *, bos: int = 1, allowed=None,
                      chunk: int = 65536, prune: bool = True):
    """The exact most probable sequence, by scoring every sequence of length ``k``.

    Expands all ``V^(k-1)`` prefixes of each input level by level (in chunks of ``chunk`` rows of
    the step function); with ``prune`` a prefix of probability 0 is not expanded (it cannot be
    the best). Returns ``(seqs (n, k), log_prob (n,), n_scored)``, ``n_scored`` the number of
    complete sequences scored. Feasible only for small ``V`` and ``k``.
    """
    tok = _check(n, k, bos)
    owner = np.arange(n)
    seqs = np.zeros((n, 0), dtype=np.int64)
    score = np.zeros(n)
    for t in range(k):
        logps, states = [], []
        for s in range(0, len(tok), chunk):
            sl = np.arange(s, min(s + chunk, len(tok)))
            lp, st = step(tok[sl], take(state, sl))
            logps.append(_masked(lp, allowed))
            states.append(st)
        logp = np.concatenate(logps)
        V = logp.shape[1]
        cand = score[:, None] + logp
        if t == k - 1:
            cand = np.where(np.isfinite(cand), cand, -np.inf)
            best = np.full(n, -np.inf)
            arg = np.zeros(n, dtype=np.int64)
            flat = cand.max(1)
            which = cand.argmax(1)
            order = np.lexsort((np.arange(len(flat)), -flat, owner))  # per owner: best first, ties by index
            first = np.r_[True, owner[order][1:] != owner[order][:-1]]
            sel = order[first]
            best[owner[sel]], arg[owner[sel]] = flat[sel], sel
            out = np.concatenate([seqs[arg], which[arg][:, None]], axis=1)
            return out, best, int(np.isfinite(cand).sum())
        parent, token = np.nonzero(np.isfinite(cand) if prune else np.ones_like(cand, dtype=bool))
        state_all = _concat_states(states)
        state = take(state_all, parent)
        seqs = np.concatenate([seqs[parent], token[:, None]], axis=1)
        score, owner, tok = cand[parent, token], owner[parent], token
    raise AssertionError("unreachable")


def _concat_states(states):
    first = states[0]
    if len(states) == 1:
        return first
    if first is None:
        return None
    if isinstance(first, dict):
        return {key: _concat_states([s[key] for s in states]) for key in first}
    if isinstance(first, (tuple, list)):
        return type(first)(_concat_states([s[i] for s in states]) for i in range(len(first)))
    if isinstance(first, np.ndarray):
        return np.concatenate(states)
    if hasattr(first, "index_select"):
        import torch

        return torch.cat(states)
    return np.concatenate([np.asarray(s) for s in states])


def sample(step: Callable, state, n: int, k: int, *, rng, bos: int = 1, allowed=None, temperature: float = 1.0):
    """Ancestral sampling: draw each token from ``softmax(log p / temperature)``.
    Returns ``(seqs (n, k), log_prob (n,))`` (the log-probability under the model, temperature 1)."""
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    tok = _check(n, k, bos)
    seqs, score = np.zeros((n, k), dtype=np.int64), np.zeros(n)
    for t in range(k):
        logp, state = step(tok, state)
        logp = _masked(logp, allowed)
        z = logp / temperature
        p = np.exp(z - z.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        u = rng.random(n)[:, None]
        tok = np.minimum((np.cumsum(p, 1) < u).sum(1), p.shape[1] - 1)
        tok = np.where(p[np.arange(n), tok] > 0, tok, p.argmax(1))  # guard the round-off at the top end
        score += logp[np.arange(n), tok]
        seqs[:, t] = tok
    return seqs, score


def sequence_log_prob(step: Callable, state, seqs, *, bos: int = 1) -> np.ndarray:
    """``Σ_t log p(y_t | y_<t)`` of given sequences ``seqs`` (n, k) under the step function."""
    seqs = np.asarray(seqs, dtype=np.int64)
    n, k = seqs.shape
    tok = _check(n, k, bos)
    out = np.zeros(n)
    for t in range(k):
        logp, state = step(tok, state)
        out += np.asarray(logp, dtype=np.float64)[np.arange(n), seqs[:, t]]
        tok = seqs[:, t]
    return out


def autoregressive(last_logits: Callable, src, *, eos: int | None = None, bos: int = 1):
    """``(step, state)`` that rolls a next-item model out: the model reads the window of its input
    plus the tokens generated so far and predicts the next one (a decoder-only model used as a
    k-step predictor). ``last_logits(x)`` maps (n, L) left-padded ids to the (n, V) logits of the
    last position; ``src`` (n, L) are the inputs. With ``eos``, a hypothesis that produced ``eos``
    keeps producing it (probability 1), as in the k-step task."""
    src = np.asarray(src, dtype=np.int64)

    def step(tokens, state):
        window, ended = state
        tokens = np.asarray(tokens, dtype=np.int64)
        grow = tokens != bos  # the first call (BOS) does not extend the window
        window = np.where(grow[:, None], np.c_[window[:, 1:], tokens], window)
        logp = _log_normalise(np.asarray(last_logits(window), dtype=np.float64))
        if eos is not None:
            ended = ended | (grow & (tokens == eos))
            logp = np.where(ended[:, None], np.where(np.arange(logp.shape[1]) == eos, 0.0, -np.inf), logp)
        return logp, (window, ended)

    return step, (src.copy(), np.zeros(len(src), dtype=bool))


def no_repeats(step: Callable, state, seen, vocab_size: int, *, bos: int = 1):
    """``(step, state)`` that never predicts an item twice: each row's ``seen`` tokens (its history)
    and every token the hypothesis has already produced get probability 0, and the rest is
    renormalised (the model conditioned on "no repeat"). ``seen`` is one token array per input row;
    the mask travels in the state, so beam search reorders it with the hypotheses."""
    V = int(vocab_size)
    mask = np.zeros((len(seen), V), dtype=bool)
    for i, s in enumerate(seen):
        s = np.asarray(s, dtype=np.int64)
        if len(s) and (s.min() < 0 or s.max() >= V):
            raise ValueError(f"seen tokens of row {i} lie outside 0..{V - 1}")
        mask[i, s] = True

    def wrapped(tokens, st):
        inner, m = st
        tokens = np.asarray(tokens, dtype=np.int64)
        grow = np.flatnonzero(tokens != bos)
        if len(grow):
            m = m.copy()
            m[grow, tokens[grow]] = True
        logp, inner = step(tokens, inner)
        logp = np.where(m, -np.inf, np.asarray(logp, dtype=np.float64))
        return _log_normalise(logp), (inner, m)

    return wrapped, (state, mask)
