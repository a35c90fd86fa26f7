"""Evaluation helpers shared by the chapters (framework-neutral, NumPy only).

:func:`paired_bootstrap` is the book's one bootstrap of a test metric: it resamples the test
**users** (groups) with replacement, so that the several rows of one user (cutoffs, sessions,
prefixes) stay together, and it evaluates every model on the **same** resample (paired), so the
difference between two models is measured without the noise they share.

(Forecast errors over rolling origins are autocorrelated in time instead; their bootstrap is the
moving-block one in :func:`companion.forecasting.paired_bootstrap`.)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["BootstrapResult", "paired_bootstrap", "paired_gauc_bootstrap"]


@dataclass
class BootstrapResult:
    """The metric of every model on every resample: ``draws[name]`` has shape ``(n_boot,)``."""

    draws: dict
    estimate: dict  # the metric on the full test set
    n_groups: int

    def se(self, name: str) -> float:
        """Bootstrap standard error of ``name``'s metric."""
        return float(np.std(self.draws[name]))

    def difference(self, a: str, b: str) -> np.ndarray:
        """Paired draws of ``metric(a) - metric(b)``."""
        return np.asarray(self.draws[a]) - np.asarray(self.draws[b])

    def differences(self, pairs: dict, level: float = 0.95) -> pd.DataFrame:
        """One row per ``label: (a, b)``: mean of the paired differences and the percentile interval."""
        lo, hi = 100 * (1 - level) / 2, 100 * (1 + level) / 2
        rows = {}
        for label, (a, b) in pairs.items():
            d = self.difference(a, b)
            rows[label] = {"difference": float(np.mean(d)), f"{lo:g}%": float(np.percentile(d, lo)),
                           f"{hi:g}%": float(np.percentile(d, hi))}
        return pd.DataFrame(rows).T


def paired_bootstrap(metric, y, scores: dict, *, groups=None, n_boot: int = 1000, seed: int = 0) -> BootstrapResult:
    """Paired bootstrap of ``metric(y, score)`` for several models, resampling groups (users).

    ``metric(y_true, y_score) -> float`` (e.g. ``sklearn.metrics.roc_auc_score``); ``y`` the test
    labels; ``scores`` ``{name: scores aligned with y}``; ``groups`` the user of each row (``None``:
    every row is its own group). Each resample draws ``G`` of the ``G`` groups with replacement
    (``rng.integers(0, G, G)`` with ``rng = np.random.default_rng(seed)``; groups in sorted order)
    and takes all rows of each drawn group.
    """
    y = np.asarray(y)
    if not scores:
        raise ValueError("give at least one model's scores")
    scores = {k: np.asarray(v) for k, v in scores.items()}
    for k, v in scores.items():
        if len(v) != len(y):
            raise ValueError(f"scores of {k!r} have {len(v)} rows, y has {len(y)}")
    if isinstance(n_boot, bool) or int(n_boot) != n_boot or n_boot < 1:
        raise ValueError(f"n_boot must be a positive int, got {n_boot!r}")
    if groups is None:
        members = [np.array([i]) for i in range(len(y))]
    else:
        groups = np.asarray(groups)
        if len(groups) != len(y):
            raise ValueError(f"groups has {len(groups)} rows, y has {len(y)}")
        members = [np.flatnonzero(groups == g) for g in np.unique(groups)]
    if len(members) < 2:
        raise ValueError("need at least two groups to bootstrap")
    rng = np.random.default_rng(seed)
    draws = {k: np.empty(int(n_boot)) for k in scores}
    for b in range(int(n_boot)):
        idx = np.concatenate([members[j] for j in rng.integers(0, len(members), len(members))])
        for k, s in scores.items():
            draws[k][b] = metric(y[idx], s[idx])
    estimate = {k: float(metric(y, s)) for k, s in scores.items()}
    return BootstrapResult(draws=draws, estimate=estimate, n_groups=len(members))


def paired_gauc_bootstrap(y, scores: dict, users, *, n_boot: int = 1000, seed: int = 0) -> BootstrapResult:
    """Paired user bootstrap of GAUC (:func:`companion.metrics.gauc`) for several models.

    A user's AUC does not change when the user is drawn twice, only the user's weight does, so the
    bootstrap of :func:`paired_bootstrap` runs on one row per user (weight = impressions, value =
    the user's AUC under each model): the same resamples of users as resampling their rows, at a
    fraction of the cost. Users with one label only are left out (they have no AUC), for every model.
    """
    from .metrics import per_user_auc

    if not scores:
        raise ValueError("give at least one model's scores")
    tables = {k: per_user_auc(y, s, users) for k, s in scores.items()}
    first = next(iter(tables.values()))
    weights = first["impressions"].to_numpy(dtype=float)
    return paired_bootstrap(lambda w, a: float(np.average(a, weights=w)), weights,
                            {k: t["auc"].to_numpy() for k, t in tables.items()}, n_boot=n_boot, seed=seed)
