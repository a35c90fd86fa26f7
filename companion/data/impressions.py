"""Click-through data: impressions (a candidate item shown to a user with a behavior history).

:class:`CTRData` is the one container of the click-through chapter, for the synthetic log and for
MovieLens-100K alike (:func:`companion.data.movielens_ctr`): one row per impression with its user,
candidate item and 0/1 label; the behavior history before it as a left-padded matrix of item ids
(0 = padding, most recent behavior last); and an item-feature matrix (categories or genres,
multi-hot, row 0 for padding).

:func:`generate_impressions` extends the synthetic shop (:func:`companion.data.generate_shop_log`):
the shop's catalogue and each user's chronological views are reused, with users given several
interests (a flatter Dirichlet taste), and impressions are added whose click probability the
generator knows. For an impression of candidate ``c`` after views ``h_1 .. h_L`` (``h_L`` most recent),
each past view has a **true relevance**

.. math:: r_\\ell = \\delta^{L - \\ell} \\, [\\mathrm{cat}(h_\\ell) = \\mathrm{cat}(c)]

(recent views of the candidate's category matter, views of the user's other interests do not), and

.. math:: P(\\text{click}) = \\sigma\\big(b + \\beta_{pop} \\, z_c + \\beta \\, \\log(1 + \\textstyle\\sum_\\ell r_\\ell)\\big)

with ``z_c`` the candidate's standardised log popularity. Which past behaviors matter depends on
the candidate, the situation target attention is for. ``p_true`` is stored with every impression,
so the best achievable AUC, GAUC and log-loss of any model can be measured.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._checks import check_int, check_positive, check_prob

__all__ = ["CTRData", "cross_features", "generate_impressions", "split_impressions"]


@dataclass
class CTRData:
    """Impressions with their behavior histories.

    ``impressions``: one row per impression, columns ``user_id, item_id, label`` (and ``p_true``
    for generated data, ``timestamp`` where known). ``history``: ``(n, max_len)`` int64, left-padded
    with 0, most recent last. ``item_features``: ``(n_items + 1, n_features)`` float32 multi-hot, row
    0 all zeros (padding). ``relevance``: the generator's true relevance of each history position
    (``None`` for real data). ``split``: ``{"train", "valid", "test"}`` boolean masks, by user.
    """

    impressions: pd.DataFrame
    history: np.ndarray
    item_features: np.ndarray
    feature_names: list
    split: dict
    relevance: np.ndarray | None = None
    params: dict = field(default_factory=dict)

    @property
    def n_items(self) -> int:
        """Rows of the item tables (item ids run 1 .. n_items - 1; 0 is padding)."""
        return self.item_features.shape[0]

    @property
    def max_len(self) -> int:
        return self.history.shape[1]

    @property
    def labels(self) -> np.ndarray:
        return self.impressions["label"].to_numpy()

    @property
    def users(self) -> np.ndarray:
        return self.impressions["user_id"].to_numpy()

    def inputs(self, part: str | None = None) -> dict:
        """``{"item": (n,), "history": (n, max_len)}`` of all rows or of one split part."""
        sel = slice(None) if part is None else self._mask(part)
        return {"item": self.impressions["item_id"].to_numpy()[sel].astype(np.int64),
                "history": self.history[sel]}

    def _mask(self, part: str) -> np.ndarray:
        if part not in self.split:
            raise ValueError(f"part must be one of {sorted(self.split)}, got {part!r}")
        return self.split[part]

    def describe(self) -> pd.DataFrame:
        """Impressions, users, click rate and mean history length of each split part."""
        length = (self.history > 0).sum(1)
        rows = {}
        for part, m in self.split.items():
            rows[part] = {"impressions": int(m.sum()), "users": int(len(np.unique(self.users[m]))),
                          "click rate": float(self.labels[m].mean()), "mean history length": float(length[m].mean())}
        return pd.DataFrame(rows).T


def split_impressions(users, fractions=(0.7, 0.15, 0.15), seed: int = 0) -> dict:
    """Boolean masks ``train/valid/test`` that put each user's impressions in one part only:
    :func:`companion.data.sequences.split_by_user` (users shuffled with ``seed``, cut by ``fractions``)."""
    from .sequences import split_by_user

    return split_by_user(users, fractions, seed=seed)


def _one_hot(categories: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros((len(categories) + 1, n), dtype=np.float32)
    out[np.arange(1, len(categories) + 1), categories] = 1.0
    return out


def generate_impressions(
    n_users: int = 1000,
    n_items: int = 300,
    n_categories: int = 8,
    *,
    impressions_per_user: int = 5,
    max_len: int = 20,
    min_history: int = 5,
    days: int = 60,
    interest_concentration: float = 1.0,
    relevant_share: float = 0.5,
    decay: float = 0.8,
    bias: float = -1.5,
    popularity_coef: float = 0.3,
    interest_coef: float = 1.5,
    fractions=(0.7, 0.15, 0.15),
    seed: int = 0,
) -> CTRData:
    """Impressions on top of a synthetic shop (same arguments, same data).

    The shop is ``generate_shop_log(n_users, n_items, n_categories, days,
    taste_concentration=interest_concentration, seed=seed)``; a flatter taste (larger
    ``interest_concentration``) gives each user several interests. For each user with at least
    ``min_history`` views, ``impressions_per_user`` moments are drawn among their views; the
    history is the last ``max_len`` views before that moment; the candidate comes with probability
    ``relevant_share`` from the user's taste and otherwise from item popularity; the click is
    drawn with the probability in the module docstring. Users are split by ``fractions``.
    """
    from .synthetic import generate_shop_log

    for name, v in [("n_users", n_users), ("n_items", n_items), ("n_categories", n_categories),
                    ("impressions_per_user", impressions_per_user), ("max_len", max_len),
                    ("min_history", min_history), ("days", days)]:
        check_int(name, v)
    check_positive("interest_concentration", interest_concentration)
    check_prob("relevant_share", relevant_share)
    check_positive("decay", decay, 1.0 + 1e-12)
    shop = generate_shop_log(n_users, n_items, n_categories, days, taste_concentration=interest_concentration,
                             seed=seed)
    rng = np.random.default_rng(seed + 1)
    views = shop.views()
    category = np.r_[-1, shop.items["category"].to_numpy()]  # by item id
    weight = shop.items["popularity"].to_numpy()
    logpop = np.log(weight)
    z_pop = np.r_[0.0, (logpop - logpop.mean()) / logpop.std()]
    pop = weight / weight.sum()
    rows, hist, rel = [], [], []
    for user, seq in views.groupby("user_id", sort=True)["item_id"]:
        seq = seq.to_numpy()
        if len(seq) < min_history + 1:
            continue
        cuts = np.sort(rng.choice(np.arange(min_history, len(seq)), size=min(impressions_per_user,
                                                                             len(seq) - min_history),
                                  replace=False))
        for t in cuts:
            h = seq[max(0, t - max_len):t]
            if rng.random() < relevant_share:
                cand = int(rng.choice(n_items, p=shop.taste[user - 1, 1:])) + 1
            else:
                cand = int(rng.choice(n_items, p=pop)) + 1
            age = np.arange(len(h))[::-1]
            r = decay ** age * (category[h] == category[cand])
            logit = bias + popularity_coef * z_pop[cand] + interest_coef * np.log1p(r.sum())
            p = 1.0 / (1.0 + np.exp(-logit))
            rows.append((user, cand, int(rng.random() < p), p, int(t)))
            pad = max_len - len(h)
            hist.append(np.r_[np.zeros(pad, np.int64), h])
            rel.append(np.r_[np.zeros(pad), r])
    if not rows:
        raise ValueError("no user has enough views for an impression; lower min_history or raise days")
    imp = pd.DataFrame(rows, columns=["user_id", "item_id", "label", "p_true", "position"])
    imp["category"] = category[imp["item_id"].to_numpy()]
    params = dict(n_users=n_users, n_items=n_items, n_categories=n_categories,
                  impressions_per_user=impressions_per_user, max_len=max_len, min_history=min_history, days=days,
                  interest_concentration=interest_concentration, relevant_share=relevant_share, decay=decay,
                  bias=bias, popularity_coef=popularity_coef, interest_coef=interest_coef,
                  fractions=list(fractions), seed=seed)
    return CTRData(impressions=imp, history=np.asarray(hist, dtype=np.int64),
                   item_features=_one_hot(shop.items["category"].to_numpy(), n_categories),
                   feature_names=[f"category {k}" for k in range(n_categories)],
                   split=split_impressions(imp["user_id"].to_numpy(), fractions, seed),
                   relevance=np.asarray(rel), params=params)


def cross_features(data: CTRData, recent: int = 5):
    """Hand-made features for a logistic regression (a sparse CSR matrix, one row per impression).

    Blocks: the candidate's item id (one-hot); its features (multi-hot ``f_c``); the share of each
    feature in the whole history (``s``) and in the ``recent`` latest behaviors (``r``); and the
    crosses ``f_c ⊗ s`` and ``f_c ⊗ r`` (every candidate feature with every history share): the
    hand-made interaction that tells the model whether the history matches the candidate.
    """
    from scipy import sparse

    from .._checks import check_int

    check_int("recent", recent)
    item = data.impressions["item_id"].to_numpy()
    f = data.item_features
    fc = f[item]
    valid = data.history > 0
    hist_f = f[data.history]  # (n, L, F), zero rows at padding
    share = hist_f.sum(1) / np.maximum(valid.sum(1, keepdims=True), 1)
    tail, tail_valid = hist_f[:, -recent:], valid[:, -recent:]
    recent_share = tail.sum(1) / np.maximum(tail_valid.sum(1, keepdims=True), 1)
    n = len(item)
    onehot = sparse.csr_matrix((np.ones(n), (np.arange(n), item)), shape=(n, data.n_items))
    cross = lambda a, b: (a[:, :, None] * b[:, None, :]).reshape(n, -1)  # noqa: E731
    dense = np.hstack([fc, share, recent_share, cross(fc, share), cross(fc, recent_share)])
    return sparse.hstack([onehot, sparse.csr_matrix(dense)]).tocsr()
