"""Baselines that stand beside every deep model. NumPy/SciPy only.

Next-item scorers share one interface: ``fit(train_sequences, n_items)`` then
``score(input_sequences) -> (n, n_items)``; column 0 (padding) scores ``-inf``.
Forecasting baselines are plain functions.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["EASE", "ItemKNN", "Markov", "Popularity", "naive", "seasonal_naive"]


def _seqs(seqs, n_items: int) -> list:
    seqs = [np.asarray(s, dtype=np.int64) for s in seqs]
    for i, s in enumerate(seqs):
        if s.ndim != 1:
            raise ValueError(f"sequence {i} is not one-dimensional")
        if len(s) and (s.min() < 1 or s.max() >= n_items):
            raise ValueError(f"sequence {i} has ids outside 1..{n_items - 1} (0 is padding)")
    return seqs


class _Scorer:
    n_items: int

    def _check_fitted(self):
        if not hasattr(self, "n_items"):
            raise RuntimeError(f"{type(self).__name__} is not fitted; call fit() first")

    def _finish(self, scores: np.ndarray) -> np.ndarray:
        scores[:, 0] = -np.inf
        return scores

    def fit(self, train, n_items: int):  # pragma: no cover - interface
        raise NotImplementedError


class Popularity(_Scorer):
    """Most popular: every user gets the items ranked by their training frequency."""

    def fit(self, train, n_items: int):
        seqs = _seqs(train, n_items)
        self.n_items = n_items
        flat = np.concatenate(seqs) if seqs else np.zeros(0, dtype=np.int64)
        self.counts = np.bincount(flat, minlength=n_items).astype(float)
        return self

    def score(self, inputs) -> np.ndarray:
        self._check_fitted()
        return self._finish(np.tile(self.counts, (len(inputs), 1)))


class Markov(_Scorer):
    """First-order Markov chain: items ranked by how often they followed the user's last item
    in training; popularity breaks ties and scores users whose last item was never followed."""

    def fit(self, train, n_items: int):
        seqs = _seqs(train, n_items)
        self.n_items = n_items
        src = np.concatenate([s[:-1] for s in seqs if len(s) > 1] or [np.zeros(0, np.int64)])
        dst = np.concatenate([s[1:] for s in seqs if len(s) > 1] or [np.zeros(0, np.int64)])
        self.transitions = sp.csr_matrix((np.ones(len(src)), (src, dst)), shape=(n_items, n_items))
        self.transitions.sum_duplicates()
        pop = Popularity().fit(seqs, n_items).counts
        self.backoff = pop / (pop.sum() + 1.0)  # < 1: never outweighs one observed transition
        return self

    def score(self, inputs) -> np.ndarray:
        self._check_fitted()
        last = np.array([s[-1] if len(s) else 0 for s in inputs], dtype=np.int64)
        scores = self.transitions[last].toarray() + self.backoff
        return self._finish(scores)


class ItemKNN(_Scorer):
    """Item-kNN on co-occurrence: items that appear within ``window`` positions of each other
    in training sequences are similar (cosine-normalised counts). A user's score for item j
    sums its similarity to the last ``history`` items, the most recent weighted most."""

    def __init__(self, window: int = 3, history: int = 3, decay: float = 0.5):
        if window < 1 or history < 1 or not 0 < decay <= 1:
            raise ValueError("window and history must be >= 1 and decay in (0, 1]")
        self.window, self.history, self.decay = window, history, decay

    def fit(self, train, n_items: int):
        seqs = _seqs(train, n_items)
        self.n_items = n_items
        rows, cols = [], []
        for s in seqs:
            for lag in range(1, self.window + 1):
                if len(s) > lag:
                    rows += [s[:-lag], s[lag:]]
                    cols += [s[lag:], s[:-lag]]
        r = np.concatenate(rows) if rows else np.zeros(0, np.int64)
        c = np.concatenate(cols) if cols else np.zeros(0, np.int64)
        co = sp.csr_matrix((np.ones(len(r)), (r, c)), shape=(n_items, n_items))
        co.sum_duplicates()
        co.setdiag(0)
        co.eliminate_zeros()
        norm = np.sqrt(np.asarray(co.sum(1)).ravel())
        inv = np.divide(1.0, norm, out=np.zeros_like(norm), where=norm > 0)
        self.similarity = sp.diags(inv) @ co @ sp.diags(inv)
        pop = Popularity().fit(seqs, n_items).counts
        self.backoff = 1e-6 * pop / (pop.max() + 1.0)
        return self

    def score(self, inputs) -> np.ndarray:
        self._check_fitted()
        weights = self.decay ** np.arange(self.history)
        rows, cols, vals = [], [], []
        for i, s in enumerate(inputs):
            recent = np.asarray(s, dtype=np.int64)[::-1][: self.history]
            rows += [i] * len(recent)
            cols += recent.tolist()
            vals += weights[: len(recent)].tolist()
        query = sp.csr_matrix((vals, (rows, cols)), shape=(len(inputs), self.n_items))
        scores = (query @ self.similarity).toarray() + self.backoff
        return self._finish(scores)


class EASE(_Scorer):
    """EASE (Steck 2019): a closed-form item-item linear autoencoder with L2 penalty ``lam``.
    Order-free: a user's score is their item set times the learned item-item weights."""

    def __init__(self, lam: float = 250.0):
        if lam <= 0:
            raise ValueError("lam must be positive")
        self.lam = lam

    def _matrix(self, seqs) -> sp.csr_matrix:
        r = np.concatenate([np.full(len(s), i) for i, s in enumerate(seqs)] or [np.zeros(0, np.int64)])
        c = np.concatenate(seqs) if len(seqs) else np.zeros(0, np.int64)
        x = sp.csr_matrix((np.ones(len(r)), (r, c)), shape=(len(seqs), self.n_items))
        x.data[:] = 1.0
        return x

    def fit(self, train, n_items: int):
        seqs = _seqs(train, n_items)
        self.n_items = n_items
        x = self._matrix(seqs)
        gram = (x.T @ x).toarray() + self.lam * np.eye(n_items)
        p = np.linalg.inv(gram)
        self.weights = -p / np.diag(p)
        np.fill_diagonal(self.weights, 0.0)
        return self

    def score(self, inputs) -> np.ndarray:
        self._check_fitted()
        x = self._matrix(_seqs(inputs, self.n_items))
        return self._finish(np.asarray(x @ self.weights))


# ---------------------------------------------------------------- forecasting


def naive(y_train, h: int) -> np.ndarray:
    """Repeat the last observation ``h`` times."""
    y = np.asarray(y_train, dtype=float)
    if len(y) == 0 or h < 1:
        raise ValueError("need a non-empty history and h >= 1")
    return np.full(h, y[-1])


def seasonal_naive(y_train, h: int, m: int = 7) -> np.ndarray:
    """Repeat the last season: the forecast for t + j is the value at t + j - m·ceil(j/m)."""
    y = np.asarray(y_train, dtype=float)
    if len(y) < m or h < 1 or m < 1:
        raise ValueError(f"need at least m={m} observations and h >= 1")
    last = y[-m:]
    return np.array([last[j % m] for j in range(h)])


# ------------------------------------------- item-set (non-sequential) baselines (the VAE chapter)


def _binary(seqs, n_items: int) -> sp.csr_matrix:
    r = np.concatenate([np.full(len(s), i) for i, s in enumerate(seqs)] or [np.zeros(0, np.int64)])
    c = np.concatenate(seqs) if len(seqs) else np.zeros(0, np.int64)
    x = sp.csr_matrix((np.ones(len(r)), (r, c)), shape=(len(seqs), n_items))
    x.data[:] = 1.0
    return x


def _top_k_columns(w: np.ndarray, k: int | None) -> np.ndarray:
    """Keep the ``k`` largest entries of each column of ``w`` (item j's ``k`` nearest items)."""
    if k is None or k >= w.shape[0]:
        return w
    cut = np.partition(w, w.shape[0] - k, axis=0)[w.shape[0] - k]
    return np.where(w >= cut, w, 0.0)


class _ItemToItem(_Scorer):
    """A model whose ``fit`` leaves an item-item matrix ``weights``: a user's score for ``j`` sums
    ``weights[i, j]`` over the items ``i`` they have (order-free)."""

    def score(self, inputs) -> np.ndarray:
        self._check_fitted()
        return self._finish(np.asarray(_binary(_seqs(inputs, self.n_items), self.n_items) @ self.weights))


class ItemSetKNN(_ItemToItem):
    """Item-kNN on item *sets* (order-free, unlike :class:`ItemKNN`): cosine similarity of the
    items' user columns with shrinkage, ``s_ij = x_i·x_j / (|x_i| |x_j| + shrink)``, each item
    keeping its ``k`` most similar items; a user's score for ``j`` sums ``s_ij`` over their items."""

    def __init__(self, k: int | None = 100, shrink: float = 0.0):
        if (k is not None and k < 1) or shrink < 0:
            raise ValueError("k must be >= 1 (or None) and shrink >= 0")
        self.k, self.shrink = k, shrink

    def fit(self, train, n_items: int):
        self.n_items = n_items
        x = _binary(_seqs(train, n_items), n_items)
        co = (x.T @ x).toarray()
        norm = np.sqrt(np.diag(co))
        w = co / (np.outer(norm, norm) + self.shrink + 1e-12)
        np.fill_diagonal(w, 0.0)
        self.weights = _top_k_columns(w, self.k)
        return self


class RP3beta(_ItemToItem):
    """RP3beta (Paudel et al. 2017; tuned as in Dacrema et al. 2019): a three-step random walk
    user → item → user → item, transition probabilities raised to ``alpha``, the arrival item's
    score divided by its popularity to the power ``beta``, each item keeping ``k`` neighbours."""

    def __init__(self, alpha: float = 1.0, beta: float = 0.5, k: int | None = 200):
        if alpha <= 0 or beta < 0 or (k is not None and k < 1):
            raise ValueError("alpha must be > 0, beta >= 0 and k >= 1 (or None)")
        self.alpha, self.beta, self.k = alpha, beta, k

    def fit(self, train, n_items: int):
        self.n_items = n_items
        x = _binary(_seqs(train, n_items), n_items).toarray()
        deg_u, deg_i = x.sum(1, keepdims=True), x.sum(0, keepdims=True)
        p_ui = np.divide(x, deg_u, out=np.zeros_like(x), where=deg_u > 0) ** self.alpha   # user -> item
        p_iu = np.divide(x, deg_i, out=np.zeros_like(x), where=deg_i > 0).T ** self.alpha  # item -> user
        pop = np.where(deg_i.ravel() > 0, deg_i.ravel(), 1.0)
        w = (p_iu @ p_ui) / pop[None, :] ** self.beta
        np.fill_diagonal(w, 0.0)
        self.weights = _top_k_columns(w, self.k)
        return self


__all__ += ["ItemSetKNN", "RP3beta"]
