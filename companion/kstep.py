"""k-step prediction: metrics, baselines and the exposure-bias measurement (framework-neutral).

Metrics of a predicted sequence ``ŷ_1..ŷ_k`` against the true next ``k`` tokens/items
``y_1..y_k`` (one row per example, averaged over rows):

* **per-position accuracy** ``acc_t = [ŷ_t = y_t]`` for each ``t`` (and their mean);
* **exact-sequence accuracy** ``[ŷ = y]`` (all ``k`` right);
* **set recall@k** ``|{ŷ} ∩ {y}| / |{y}|`` (order ignored, duplicates counted once);
* **set NDCG@k** with the distinct true items relevant: ``Σ_t [ŷ_t ∈ {y}, first time] / log2(t+1)``
  over the ideal DCG of ``min(k, |{y}|)`` hits.

:class:`MarkovChain` is the order-``n`` token chain (add-``α`` smoothing) with a step function for
:mod:`companion.decoding`; :func:`repeat_last` the simplest forecast. :func:`rollout_divergence`
measures exposure bias exactly by enumerating every prefix.
"""
from __future__ import annotations

import numpy as np

__all__ = ["MarkovChain", "kstep_metrics", "per_row_metrics", "repeat_last", "rollout_divergence", "set_ndcg",
           "set_recall", "top_k"]


def _pair(pred, true):
    pred, true = np.asarray(pred, dtype=np.int64), np.asarray(true, dtype=np.int64)
    if pred.ndim != 2 or pred.shape != true.shape:
        raise ValueError(f"pred and true must both be (n, k), got {pred.shape} and {true.shape}")
    return pred, true


def set_recall(pred, true) -> np.ndarray:
    """Per row: the share of the distinct true items found anywhere in the prediction."""
    pred, true = _pair(pred, true)
    out = np.empty(len(true))
    for i, (p, y) in enumerate(zip(pred, true)):
        ys = set(y.tolist())
        out[i] = len(ys & set(p.tolist())) / len(ys)
    return out


def set_ndcg(pred, true) -> np.ndarray:
    """Per row: NDCG@k of the predicted list against the set of distinct true items."""
    pred, true = _pair(pred, true)
    k = pred.shape[1]
    disc = 1.0 / np.log2(np.arange(2, k + 2))
    out = np.empty(len(true))
    for i, (p, y) in enumerate(zip(pred, true)):
        ys, seen, dcg = set(y.tolist()), set(), 0.0
        for t, item in enumerate(p.tolist()):
            if item in ys and item not in seen:
                dcg += disc[t]
            seen.add(item)
        out[i] = dcg / disc[:min(k, len(ys))].sum()
    return out


def per_row_metrics(pred, true) -> dict:
    """Per-row metric arrays: ``acc@t`` for each position, ``position_acc``, ``exact``,
    ``set_recall``, ``set_ndcg`` (each (n,)), for the paired bootstrap."""
    pred, true = _pair(pred, true)
    hit = pred == true
    out = {f"acc@{t + 1}": hit[:, t].astype(float) for t in range(pred.shape[1])}
    out["position_acc"] = hit.mean(1)
    out["exact"] = hit.all(1).astype(float)
    out["set_recall"] = set_recall(pred, true)
    out["set_ndcg"] = set_ndcg(pred, true)
    return out


def kstep_metrics(pred, true, *, true_log_prob=None) -> dict:
    """The row means of :func:`per_row_metrics`; ``true_log_prob`` (n,), the generator's
    log-probability of each predicted sequence, adds its mean and the share of impossible ones."""
    out = {k: float(v.mean()) for k, v in per_row_metrics(pred, true).items()}
    if true_log_prob is not None:
        lp = np.asarray(true_log_prob, dtype=float)
        finite = np.isfinite(lp)
        out["true_logp"] = float(lp[finite].mean()) if finite.any() else -np.inf
        out["impossible"] = float(1 - finite.mean())
    return out


def top_k(scores, k: int, *, exclude=None) -> np.ndarray:
    """The ``k`` best-scored columns of each row, best first (an order-free model's "next k"):
    ``scores`` (n, V); ``exclude`` one array of columns per row that may not be chosen (the
    user's history). Ties go to the lower column. Returns (n, k) int64."""
    scores = np.array(scores, dtype=np.float64)
    if scores.ndim != 2:
        raise ValueError(f"scores must be (n, V), got shape {scores.shape}")
    if isinstance(k, bool) or int(k) != k or not 1 <= k <= scores.shape[1]:
        raise ValueError(f"k must be an int in 1..{scores.shape[1]}, got {k!r}")
    if exclude is not None:
        if len(exclude) != len(scores):
            raise ValueError(f"exclude has {len(exclude)} rows, scores {len(scores)}")
        for i, cols in enumerate(exclude):
            scores[i, np.asarray(cols, dtype=np.int64)] = -np.inf
    from .decoding import _top_width

    order = _top_width(scores, int(k))
    if not np.isfinite(np.take_along_axis(scores, order, 1)).all():
        raise ValueError(f"some rows have fewer than k={k} columns with a finite score")
    return order.astype(np.int64)


def repeat_last(src, k: int) -> np.ndarray:
    """Predict the last input token (item) ``k`` times: ``src`` (n, L) left-padded."""
    src = np.asarray(src, dtype=np.int64)
    if (src[:, -1] == 0).any():
        raise ValueError("some rows have no input token (all padding)")
    return np.repeat(src[:, -1:], k, axis=1)


class MarkovChain:
    """Order-``order`` Markov chain over tokens with add-``alpha`` smoothing, fitted on token
    streams. ``step`` is a step function for :mod:`companion.decoding`; its state is the last
    ``order`` tokens (n, order), 0 where the history is shorter."""

    def __init__(self, order: int = 1, alpha: float = 0.1, eos: int | None = None):
        if isinstance(order, bool) or order not in (1, 2, 3):
            raise ValueError(f"order must be 1, 2 or 3, got {order!r}")
        if not alpha > 0:
            raise ValueError(f"alpha must be > 0, got {alpha}")
        self.order, self.alpha, self.eos = int(order), float(alpha), eos

    def fit(self, streams, vocab_size: int, *, allowed=None):
        """``streams``: token sequences (1-D int arrays); ``allowed``: tokens that can be
        predicted (the smoothing mass goes to those only; default all but 0)."""
        V = int(vocab_size)
        self.V = V
        self.allowed = np.ones(V, bool) if allowed is None else np.asarray(allowed, bool)
        if allowed is None:
            self.allowed[0] = False
        counts = np.zeros((V,) * (self.order + 1))
        for s in streams:
            s = np.asarray(s, dtype=np.int64)
            if s.ndim != 1:
                raise ValueError("streams must be 1-D token arrays")
            if len(s) and (s.min() < 0 or s.max() >= V):
                raise ValueError(f"tokens must lie in 0..{V - 1}")
            padded = np.r_[np.zeros(self.order, np.int64), s]
            idx = tuple(padded[j:len(padded) - self.order + j] for j in range(self.order + 1))
            np.add.at(counts, idx, 1.0)
        counts = counts + self.alpha * self.allowed
        counts[..., ~self.allowed] = 0.0
        self.probs = counts / counts.sum(-1, keepdims=True)
        if self.eos is not None:  # EOS absorbs, as in the task
            self.probs[..., self.eos, :] = 0.0
            self.probs[..., self.eos, self.eos] = 1.0
        self._log_probs = None  # log(probs), computed at the first step
        return self

    def initial_state(self, src) -> np.ndarray:
        """The last ``order`` tokens of each left-padded input row."""
        return np.asarray(src, dtype=np.int64)[:, -self.order:].copy()

    def step(self, tokens, state):
        tokens = np.asarray(tokens, dtype=np.int64)
        is_bos = tokens == 1
        new = np.where(is_bos[:, None], state, np.c_[state[:, 1:], tokens])
        if getattr(self, "_log_probs", None) is None or self._log_probs.shape != self.probs.shape:
            with np.errstate(divide="ignore"):
                self._log_probs = np.log(self.probs)
        return self._log_probs[tuple(new.T)], new


def rollout_divergence(model_step, model_state, true_step, true_state, n: int, k: int, *, allowed,
                       bos: int = 1, chunk: int = 65536) -> dict:
    """Exposure bias, measured exactly by enumerating every prefix of length ``< k``.

    For each step ``t`` and input row, three distributions of ``y_t``:

    * ``true``: the generator's marginal ``p_t = Σ p(y_<t) p(·|y_<t)``;
    * ``teacher``: the model's conditional fed TRUE prefixes, ``Σ p(y_<t) q(·|y_<t)``
      (teacher forcing: what training sees);
    * ``free``: the model's own rollout, ``q_t = Σ q(y_<t) q(·|y_<t)`` (what decoding does).

    Returns ``{"tv_teacher", "tv_free", "kl_teacher", "kl_free"}``, each (n, k): total variation
    ``½ Σ_v |p_t(v) - ·|`` and ``KL(p_t || ·)`` per row and step, plus the three marginals
    (n, k, V). Tokens outside ``allowed`` are excluded. Cost: ``V^(k-1)`` model steps per row.
    """
    from .decoding import _concat_states, _masked, take

    allowed = np.asarray(allowed, bool)
    tok = np.full(n, bos, dtype=np.int64)
    owner = np.arange(n)
    lp_true, lp_model = np.zeros(n), np.zeros(n)
    mstate, tstate = model_state, true_state
    V = len(allowed)
    marg = {name: np.zeros((n, k, V)) for name in ("true", "teacher", "free")}
    for t in range(k):
        mls, mss, tls, tss = [], [], [], []
        for s in range(0, len(tok), chunk):
            sl = np.arange(s, min(s + chunk, len(tok)))
            a, b = model_step(tok[sl], take(mstate, sl))
            c, d = true_step(tok[sl], take(tstate, sl))
            mls.append(_masked(a, allowed)), mss.append(b), tls.append(_masked(c, allowed)), tss.append(d)
        mlp, tlp = np.concatenate(mls), np.concatenate(tls)
        q_log = mlp - np.logaddexp.reduce(mlp, axis=1, keepdims=True)  # renormalised over `allowed`
        q_cond = np.exp(q_log)
        p_cond = np.exp(tlp)
        w_true, w_model = np.exp(lp_true)[:, None], np.exp(lp_model)[:, None]
        for name, w, cond in (("true", w_true, p_cond), ("teacher", w_true, q_cond), ("free", w_model, q_cond)):
            np.add.at(marg[name][:, t], owner, w * cond)
        if t == k - 1:
            break
        parent, token = np.nonzero(np.broadcast_to(allowed, mlp.shape))
        with np.errstate(divide="ignore"):
            lp_true = lp_true[parent] + tlp[parent, token]
        lp_model = lp_model[parent] + q_log[parent, token]
        mstate, tstate = take(_concat_states(mss), parent), take(_concat_states(tss), parent)
        owner, tok = owner[parent], token
    p = marg["true"]
    out = {}
    for name in ("teacher", "free"):
        q = marg[name]
        out[f"tv_{name}"] = 0.5 * np.abs(p - q).sum(-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[f"kl_{name}"] = np.where(p > 0, p * (np.log(p) - np.log(q)), 0.0).sum(-1)
    out["marginals"] = marg
    return out
