"""Evaluation metrics: ranking (full and sampled) and forecasting. NumPy only.

Ranking metrics follow RecBole's definitions for one relevant item per user. With the
target's 0-based rank ``r`` among the candidates:

* ``hit@K``  = 1 if r < K
* ``ndcg@K`` = 1 / log2(r + 2) if r < K
* ``mrr@K``  = 1 / (r + 1) if r < K

Ties are broken pessimistically: every other item with the same score ranks above the
target, so a constant scorer gets no credit.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "auc",
    "binary_report",
    "gauc",
    "per_user_auc",
    "rela_impr",
    "choose_threshold",
    "expected_calibration_error",
    "reliability_table",
    "expected_ranking_metrics",
    "mae",
    "mase",
    "rank_of_target",
    "ranking_metrics",
    "rmse",
    "sampled_ranking_metrics",
    "smape",
]


def _check_ks(ks) -> tuple:
    ks = tuple(int(k) for k in (ks if np.iterable(ks) else (ks,)))
    if not ks or any(k < 1 for k in ks):
        raise ValueError(f"ks must be positive integers, got {ks}")
    return ks


def _apply_exclude(scores: np.ndarray, exclude) -> np.ndarray:
    if exclude is None:
        return scores
    scores = scores.astype(float, copy=True)
    if isinstance(exclude, np.ndarray) and exclude.dtype == bool:
        if exclude.shape != scores.shape:
            raise ValueError(f"exclude mask has shape {exclude.shape}, scores {scores.shape}")
        scores[exclude] = -np.inf
        return scores
    if len(exclude) != len(scores):
        raise ValueError(f"exclude has {len(exclude)} rows, scores {len(scores)}")
    for i, items in enumerate(exclude):
        items = np.asarray(items, dtype=np.int64)
        if len(items):
            scores[i, items] = -np.inf
    return scores


def rank_of_target(scores, targets, exclude=None) -> np.ndarray:
    """0-based pessimistic rank of each user's target item under full ranking.

    ``scores``: ``(n_users, n_items)``; ``targets``: ``(n_users,)`` column indices.
    ``exclude``: a boolean mask like ``scores`` or, per user, a list of item indices to
    remove from the ranking (e.g. items already seen); they get score ``-inf``.
    """
    scores = np.asarray(scores)
    targets = np.asarray(targets)
    if scores.ndim != 2:
        raise ValueError(f"scores must be (n_users, n_items), got shape {scores.shape}")
    if targets.shape != (scores.shape[0],):
        raise ValueError(f"targets must have shape ({scores.shape[0]},), got {targets.shape}")
    if not np.issubdtype(targets.dtype, np.integer):
        raise ValueError(f"targets must be integer item indices, got dtype {targets.dtype}")
    if ((targets < 0) | (targets >= scores.shape[1])).any():
        raise ValueError(f"targets must lie in 0..{scores.shape[1] - 1}")
    if np.isnan(scores).any():
        raise ValueError(f"scores contain {int(np.isnan(scores).sum())} NaN value(s)")
    scores = _apply_exclude(scores, exclude)
    t = scores[np.arange(len(targets)), targets][:, None]
    # items strictly better, plus ties other than the target itself
    return (scores > t).sum(1) + (scores == t).sum(1) - 1


def _from_ranks(ranks: np.ndarray, ks, reduce: bool) -> dict:
    out = {}
    for k in _check_ks(ks):
        hit = ranks < k
        vals = {
            f"hit@{k}": hit.astype(float),
            f"ndcg@{k}": np.where(hit, 1.0 / np.log2(ranks + 2.0), 0.0),
            f"mrr@{k}": np.where(hit, 1.0 / (ranks + 1.0), 0.0),
        }
        out.update({name: float(v.mean()) if reduce else v for name, v in vals.items()})
    return out


def ranking_metrics(scores, targets, ks=(10,), exclude=None, *, reduce: bool = True) -> dict:
    """Hit@K, NDCG@K and MRR@K of full ranking, averaged over users.

    Returns ``{"hit@K": ..., "ndcg@K": ..., "mrr@K": ...}`` for every K in ``ks``;
    with ``reduce=False`` the per-user values (for bootstraps and paired tests).
    """
    return _from_ranks(rank_of_target(scores, targets, exclude), ks, reduce)


def sampled_ranking_metrics(scores, targets, negatives, ks=(10,), *, reduce: bool = True) -> dict:
    """The same metrics when the target is ranked only against sampled ``negatives``
    (``(n_users, n_neg)`` item indices, e.g. from :func:`companion.data.sequences.sample_negatives`)."""
    scores = np.asarray(scores)
    targets = np.asarray(targets)
    negatives = np.asarray(negatives)
    if negatives.ndim != 2 or negatives.shape[0] != scores.shape[0]:
        raise ValueError(f"negatives must be (n_users, n_neg), got {negatives.shape}")
    if (negatives == targets[:, None]).any():
        raise ValueError("a negative equals its user's target")
    rows = np.arange(len(targets))
    t = scores[rows, targets][:, None]
    neg = scores[rows[:, None], negatives]
    ranks = (neg > t).sum(1) + (neg == t).sum(1)
    return _from_ranks(ranks, ks, reduce)


# ---------------------------------------------------------------- forecasting


def _pair(y_true, y_pred):
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true {y_true.shape} and y_pred {y_pred.shape} differ in shape")
    if y_true.size == 0:
        raise ValueError("empty forecast")
    if not (np.isfinite(y_true).all() and np.isfinite(y_pred).all()):
        raise ValueError("forecasts and actuals must be finite")
    return y_true, y_pred


def mae(y_true, y_pred, axis=None):
    """Mean absolute error."""
    y_true, y_pred = _pair(y_true, y_pred)
    return np.mean(np.abs(y_true - y_pred), axis=axis)


def rmse(y_true, y_pred, axis=None):
    """Root mean squared error."""
    y_true, y_pred = _pair(y_true, y_pred)
    return np.sqrt(np.mean((y_true - y_pred) ** 2, axis=axis))


def smape(y_true, y_pred, axis=None):
    """Symmetric MAPE in percent, as in M4: 200 |y - ŷ| / (|y| + |ŷ|); 0/0 counts as 0."""
    y_true, y_pred = _pair(y_true, y_pred)
    den = np.abs(y_true) + np.abs(y_pred)
    ratio = np.divide(2 * np.abs(y_true - y_pred), den, out=np.zeros_like(den), where=den > 0)
    return 100 * np.mean(ratio, axis=axis)


def seasonal_naive_scale(y_train, m: int = 7) -> float:
    """In-sample MAE of the seasonal naive forecast (lag ``m``): MASE's denominator."""
    y_train = np.asarray(y_train, dtype=float)
    if len(y_train) <= m:
        raise ValueError(f"need more than m={m} training points, got {len(y_train)}")
    scale = np.mean(np.abs(y_train[m:] - y_train[:-m]))
    if scale == 0:
        raise ValueError("the training series is exactly periodic: MASE's scale is zero")
    return float(scale)


def mase(y_true, y_pred, y_train, m: int = 7, axis=None):
    """Mean absolute scaled error: MAE divided by the in-sample seasonal-naive MAE.

    Aggregate first, then divide: over several forecast origins, average the absolute
    errors and divide by the scale, rather than averaging per-origin ratios of different scales.
    """
    return mae(y_true, y_pred, axis=axis) / seasonal_naive_scale(y_train, m)


def expected_ranking_metrics(probs, ks=(10,), *, reduce: bool = True) -> dict:
    """Expected Hit@K, NDCG@K, MRR@K of the best possible ranker when the target is drawn
    from ``probs`` (``(n_users, n_items)``, rows summing to 1): rank items by their true
    probability; the expectation replaces the one realised target by its distribution.

    This is the ceiling a model can reach on data whose generating process is known.
    """
    probs = np.asarray(probs, dtype=float)
    if probs.ndim != 2:
        raise ValueError(f"probs must be (n_users, n_items), got shape {probs.shape}")
    if (probs < 0).any() or not np.allclose(probs.sum(1), 1.0, atol=1e-6):
        raise ValueError("each row of probs must be a probability distribution (non-negative, sums to 1)")
    ordered = -np.sort(-probs, axis=1)
    ranks = np.arange(probs.shape[1])
    out = {}
    for k in _check_ks(ks):
        top = ordered[:, :k]
        vals = {
            f"hit@{k}": top.sum(1),
            f"ndcg@{k}": (top / np.log2(ranks[:k] + 2.0)).sum(1),
            f"mrr@{k}": (top / (ranks[:k] + 1.0)).sum(1),
        }
        out.update({n: float(v.mean()) if reduce else v for n, v in vals.items()})
    return out


# ---------------------------------------------------------------- binary classification


def _yp(y, p):
    y = np.asarray(y, dtype=float).ravel()
    p = np.asarray(p, dtype=float).ravel()
    if y.shape != p.shape or len(y) == 0:
        raise ValueError(f"labels and probabilities must be non-empty and equally long ({y.shape} vs {p.shape})")
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("labels must be 0 or 1")
    if not np.isfinite(p).all() or (p < 0).any() or (p > 1).any():
        raise ValueError("probabilities must lie in [0, 1] (apply the sigmoid to logits first)")
    return y, p


def reliability_table(y, p, bins: int = 10) -> pd.DataFrame:
    """Equal-width bins of the predicted probability: count, mean prediction, observed rate."""
    y, p = _yp(y, p)
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
        raise ValueError(f"bins must be an int >= 1, got {bins!r}")
    b = np.minimum((p * bins).astype(int), bins - 1)
    df = pd.DataFrame({"bin": b, "p": p, "y": y})
    g = df.groupby("bin").agg(count=("y", "size"), mean_pred=("p", "mean"), observed=("y", "mean"))
    g.index = [f"[{i / bins:.1f}, {(i + 1) / bins:.1f})" for i in g.index]
    return g


def expected_calibration_error(y, p, bins: int = 10) -> float:
    """ECE: the count-weighted mean of |observed rate − mean prediction| over equal-width bins."""
    t = reliability_table(y, p, bins)
    return float((t["count"] * (t["observed"] - t["mean_pred"]).abs()).sum() / t["count"].sum())


def choose_threshold(y, p) -> float:
    """The threshold maximising F1 (predict 1 when ``p >= threshold``); choose it on VALIDATION data."""
    y, p = _yp(y, p)
    order = np.argsort(-p, kind="stable")
    ps, ys = p[order], y[order]
    tp = np.cumsum(ys)
    k = np.arange(1, len(ys) + 1)
    f1 = 2 * tp / (k + ys.sum())
    last = np.r_[ps[1:] != ps[:-1], True]  # only cut between distinct scores
    i = int(np.argmax(np.where(last, f1, -1)))
    return float(ps[i])


def binary_report(y, p, threshold: float = 0.5, bins: int = 10) -> dict:
    """ROC-AUC, F1 at ``threshold``, Brier score and ECE of probabilities ``p`` for labels ``y``."""
    from sklearn.metrics import f1_score, roc_auc_score

    y, p = _yp(y, p)
    return {
        "auc": float(roc_auc_score(y, p)),
        "f1": float(f1_score(y, (p >= threshold).astype(int), zero_division=0)),
        "brier": float(np.mean((p - y) ** 2)),
        "ece": expected_calibration_error(y, p, bins),
    }


# ---------------------------------------------------------------- interval forecasts (chapter 5)

__all__ += ["interval_score", "pinball_loss"]


def pinball_loss(y_true, q_pred, tau: float, axis=None):
    """Pinball (quantile) loss of a forecast ``q_pred`` of the ``tau`` quantile:
    ``tau·(y - q)`` when ``y >= q``, ``(1 - tau)·(q - y)`` otherwise; averaged."""
    if not 0 < tau < 1:
        raise ValueError(f"tau must be in (0, 1), got {tau}")
    y_true, q_pred = _pair(y_true, q_pred)
    e = y_true - q_pred
    return np.mean(np.maximum(tau * e, (tau - 1) * e), axis=axis)


def interval_score(y_true, lower, upper, alpha: float, axis=None):
    """Interval (Winkler) score of central ``1 - alpha`` intervals (Gneiting & Raftery 2007), averaged:
    width + (2/alpha)·(lower - y) if y < lower + (2/alpha)·(y - upper) if y > upper. Lower is better;
    it equals (2/alpha)·(pinball loss at alpha/2 + pinball loss at 1 - alpha/2)."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    y_true, lower = _pair(y_true, lower)
    _, upper = _pair(y_true, upper)
    if (upper < lower).any():
        raise ValueError("interval with upper < lower")
    s = (upper - lower) + 2 / alpha * (np.maximum(lower - y_true, 0) + np.maximum(y_true - upper, 0))
    return np.mean(s, axis=axis)
# ------------------------------------------------ several held-out items per user (the VAE chapter)


def set_ranking_metrics(scores, heldout, ks=(20, 50, 100), exclude=None, *, recall: str = "min",
                        reduce: bool = True) -> dict:
    """Recall@K and NDCG@K when each user has a **set** of held-out items (full ranking).

    ``scores``: ``(n_users, n_items)``; ``heldout``: a binary matrix of the same shape (dense or
    SciPy sparse); ``exclude``: a binary matrix of items removed from the ranking (the fold-in or
    training items), or ``None``. With ``R_u`` the held-out set and ``top_K`` the ``K`` best-scored
    items:

    * ``recall@K = |top_K ∩ R_u| / min(K, |R_u|)`` with ``recall="min"`` (Liang et al. 2018, so a
      perfect ranking scores 1), or ``/ |R_u|`` with ``recall="all"`` (RecBole's Recall);
    * ``ndcg@K = Σ_{r < K, item r in R_u} 1/log2(r + 2)`` divided by its maximum
      ``Σ_{r < min(K, |R_u|)} 1/log2(r + 2)``.

    Users with an empty held-out set are an error (drop them first). Ties in the scores are
    broken by column order. ``reduce=False`` gives the per-user values.
    """
    import scipy.sparse as sp

    scores = np.asarray(scores, dtype=float)
    if scores.ndim != 2:
        raise ValueError(f"scores must be (n_users, n_items), got shape {scores.shape}")
    if np.isnan(scores).any():
        raise ValueError(f"scores contain {int(np.isnan(scores).sum())} NaN value(s)")
    held = (heldout.toarray() if sp.issparse(heldout) else np.asarray(heldout)) > 0
    if held.shape != scores.shape:
        raise ValueError(f"heldout has shape {held.shape}, scores {scores.shape}")
    n_rel = held.sum(1)
    if (n_rel == 0).any():
        raise ValueError(f"{int((n_rel == 0).sum())} user(s) have no held-out item; drop them before evaluating")
    if recall not in ("min", "all"):
        raise ValueError(f"recall must be 'min' or 'all', got {recall!r}")
    if exclude is not None:
        ex = (exclude.toarray() if sp.issparse(exclude) else np.asarray(exclude)) > 0
        if ex.shape != scores.shape:
            raise ValueError(f"exclude has shape {ex.shape}, scores {scores.shape}")
        if (ex & held).any():
            raise ValueError("an excluded item is also held out")
        scores = np.where(ex, -np.inf, scores)
    ks = _check_ks(ks)
    kmax = min(max(ks), scores.shape[1])
    top = np.argsort(-scores, axis=1, kind="stable")[:, :kmax]
    hits = np.take_along_axis(held, top, axis=1)
    disc = 1.0 / np.log2(np.arange(2, kmax + 2))
    out = {}
    for k in ks:
        kk = min(k, kmax)
        h = hits[:, :kk]
        rec = h.sum(1) / (np.minimum(k, n_rel) if recall == "min" else n_rel)
        dcg = (h * disc[:kk]).sum(1)
        idcg = np.array([disc[:min(kk, n)].sum() for n in n_rel])
        for name, v in ((f"recall@{k}", rec), (f"ndcg@{k}", dcg / idcg)):
            out[name] = float(v.mean()) if reduce else v
    return out


__all__ += ["set_ranking_metrics"]


# ----------------------------------------------------------------------------- click-through (chapter 11)
def auc(y, p) -> float:
    """ROC-AUC by the rank-sum (Mann–Whitney) formula, ties counted one half (as
    ``sklearn.metrics.roc_auc_score``). ``ValueError`` when ``y`` holds one class only."""
    from scipy.stats import rankdata

    y, p = _yp(y, p)
    pos = int(y.sum())
    neg = len(y) - pos
    if pos == 0 or neg == 0:
        raise ValueError("AUC needs both a positive and a negative label")
    ranks = rankdata(p)
    return float((ranks[y == 1].sum() - pos * (pos + 1) / 2) / (pos * neg))


def per_user_auc(y, p, users) -> pd.DataFrame:
    """One row per user with both labels: ``user``, ``impressions`` (the user's rows) and ``auc``
    (that user's AUC). Users whose impressions are all clicks or all non-clicks have no AUC and
    are left out, as in DIN's implementation; ``attrs["dropped_users"]`` counts them."""
    y, p = _yp(y, p)
    users = np.asarray(users)
    if users.shape != y.shape:
        raise ValueError(f"users has shape {users.shape}, y has {y.shape}")
    order = np.argsort(users, kind="stable")
    u_sorted = users[order]
    starts = np.flatnonzero(np.r_[True, u_sorted[1:] != u_sorted[:-1]])
    ends = np.r_[starts[1:], len(u_sorted)]
    rows, dropped = [], 0
    for a, b in zip(starts, ends):
        idx = order[a:b]
        yy = y[idx]
        if yy.min() == yy.max():
            dropped += 1
            continue
        rows.append((u_sorted[a], b - a, auc(yy, p[idx])))
    out = pd.DataFrame(rows, columns=["user", "impressions", "auc"])
    out.attrs["dropped_users"] = dropped
    return out


def gauc(y, p, users) -> float:
    """Group AUC as DIN defines it (Zhou et al. 2018, eq. 5): the impression-weighted mean of the
    per-user AUCs, ``Σ_u #imp_u · AUC_u / Σ_u #imp_u``, over users with both labels."""
    t = per_user_auc(y, p, users)
    if t.empty:
        raise ValueError("GAUC needs at least one user with both a click and a non-click")
    return float(np.average(t["auc"], weights=t["impressions"]))


def rela_impr(auc_model, auc_base) -> float:
    """DIN's relative improvement in percent: ``((AUC_model − 0.5) / (AUC_base − 0.5) − 1) × 100``."""
    auc_model, auc_base = float(auc_model), float(auc_base)
    if not auc_base > 0.5:
        raise ValueError(f"RelaImpr needs a base AUC above 0.5, got {auc_base}")
    return ((auc_model - 0.5) / (auc_base - 0.5) - 1.0) * 100.0
