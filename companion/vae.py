"""The VAE chapter's framework-neutral parts: the KL schedule, the Gaussian KL, the two evaluation
protocols and baseline tuning (NumPy/SciPy). The models are :mod:`companion.torch.vae` and
:mod:`companion.keras.vae`; the splits :mod:`companion.data.user_item`.
"""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .data.sequences import batch_stream
from .data.user_item import RandomSplit, StrongGeneralization, as_item_lists, scores_of
from .metrics import set_ranking_metrics

__all__ = ["KLAnneal", "evaluate_fold_in", "evaluate_random_split", "gaussian_kl", "tune_scorer", "user_batches"]


class KLAnneal:
    """β for the KL term, counted in **optimizer updates** (Liang et al. 2018):
    ``β_t = min(cap, t / total_steps)`` at update ``t = 0, 1, ...``. :meth:`step` returns the
    current β and advances; :attr:`history` holds every β used."""

    def __init__(self, total_steps: int = 200_000, cap: float = 0.2):
        if total_steps < 1 or not 0 <= cap:
            raise ValueError(f"total_steps must be >= 1 and cap >= 0, got {total_steps}, {cap}")
        self.total_steps, self.cap, self.updates, self.history = int(total_steps), float(cap), 0, []

    def step(self) -> float:
        beta = min(self.cap, self.updates / self.total_steps)
        self.updates += 1
        self.history.append(beta)
        return beta


def gaussian_kl(mu, logvar) -> np.ndarray:
    """KL(N(μ, diag σ²) ‖ N(0, I)) = ½ Σ_d (μ_d² + σ_d² − 1 − log σ_d²), one value per row
    (``axis=-1`` summed); ``logvar = log σ²``."""
    mu, logvar = np.asarray(mu, dtype=float), np.asarray(logvar, dtype=float)
    if mu.shape != logvar.shape:
        raise ValueError(f"mu has shape {mu.shape}, logvar {logvar.shape}")
    return 0.5 * (mu ** 2 + np.exp(logvar) - 1.0 - logvar).sum(-1)


def user_batches(x: sp.spmatrix, batch_size: int, seed: int = 0):
    """``epoch -> iterator`` of dense float32 row batches of ``x``, a new shuffled order each epoch
    (:func:`companion.data.batch_stream` with ``seed``), the same for the PyTorch and the Keras loops."""
    dense = sp.csr_matrix(x, dtype=np.float32).toarray()
    stream = batch_stream(dense, batch_size=batch_size, seed=seed)
    return lambda: (b[0] for b in stream())


def evaluate_fold_in(score, split: StrongGeneralization, part: str = "test", ks=(20, 50, 100), *,
                     reduce: bool = True) -> dict:
    """Liang et al.'s protocol: ``score(fold_in_matrix) -> (n_users, n_items)``, fold-in items
    removed from the ranking, Recall@K normalised by ``min(K, |held-out|)``, NDCG@K; users without
    a held-out item are left out (there are none with the default split)."""
    x_in, x_out = split.part(part)
    keep = np.flatnonzero(np.diff(sp.csr_matrix(x_out).indptr) > 0)
    s = np.asarray(score(x_in[keep]))
    return set_ranking_metrics(s, x_out[keep], ks, exclude=x_in[keep], recall="min", reduce=reduce)


def evaluate_random_split(score, split: RandomSplit, part: str = "test", ks=(10,), *, reduce: bool = True) -> dict:
    """RecBole's protocol: the model reads each user's training items, earlier parts are removed
    from the ranking, Recall@K over ``|held-out|`` (RecBole's definition) and NDCG@K."""
    users = split.users_with(part)
    held = split.valid if part == "valid" else split.test
    s = np.asarray(score(split.train[users]))
    return set_ranking_metrics(s, held[users], ks, exclude=split.exclude(part)[users], recall="all", reduce=reduce)


def tune_scorer(make, grid: dict, train: sp.spmatrix, evaluate, metric: str = "ndcg@100"):
    """Fit ``make(**params)`` (a :mod:`companion.baselines` scorer) on ``train`` for every point of
    ``grid`` (``{name: values}``) and score it with ``evaluate(score_fn) -> dict`` on validation.
    Returns ``(best fitted scorer, best params, DataFrame of every point)``."""
    rows, best = [], (-np.inf, None, None)
    items = as_item_lists(train)
    for values in itertools.product(*grid.values()):
        params = dict(zip(grid, values))
        m = make(**params).fit(items, train.shape[1] + 1)
        v = evaluate(lambda x, m=m: scores_of(m, x))[metric]
        rows.append({**params, metric: v})
        if v > best[0]:
            best = (v, m, params)
    return best[1], best[2], pd.DataFrame(rows)
