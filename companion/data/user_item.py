"""User-item matrices and the two evaluation protocols of the VAE chapter (NumPy/SciPy/pandas).

* :func:`strong_generalization_split` is the protocol of Liang et al. (2018), *Variational
  autoencoders for collaborative filtering* (their ``vae_cf`` notebook): ratings ``>= min_rating``
  are the positives, users with at least ``min_user`` positives are kept, ``n_heldout`` users are
  set aside for validation and as many for test; the item set is what the training users
  touched (held-out positives on other items cannot be ranked and are dropped, counted in
  ``dropped``); each held-out user's items are split at random, ``1 - test_prop`` fed to the model
  (the fold-in part) and ``test_prop`` to be predicted.
* :func:`random_split` is RecBole's default general-recommendation protocol: every rating is one
  implicit interaction, each user's interactions are shuffled and split 8:1:1
  (``split: {RS: [0.8, 0.1, 0.1]}``, ``group_by: user``, ``order: RO``); a model reads the training
  part, and at evaluation the items the user has in earlier parts are removed from the ranking.

Both return matrices whose columns are the same item order (``item_ids``), ready for
:func:`companion.metrics.set_ranking_metrics`. :func:`as_item_lists` and :func:`scores_of` let the
sequence-interface baselines of :mod:`companion.baselines` read these matrices.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .._checks import check_int

__all__ = ["RandomSplit", "StrongGeneralization", "as_item_lists", "interaction_matrix", "random_split",
           "scores_of", "strong_generalization_split"]


def _check_ratings(ratings: pd.DataFrame, need=("user_id", "item_id")) -> None:
    if not isinstance(ratings, pd.DataFrame):
        raise ValueError(f"ratings must be a DataFrame, got {type(ratings).__name__}")
    missing = [c for c in need if c not in ratings.columns]
    if missing:
        raise ValueError(f"ratings lack the column(s) {missing}")
    if len(ratings) == 0:
        raise ValueError("ratings is empty")
    for c in need:
        if ratings[c].isna().any():
            raise ValueError(f"column {c!r} has {int(ratings[c].isna().sum())} missing value(s)")


def interaction_matrix(users, items, n_users: int, n_items: int) -> sp.csr_matrix:
    """A binary ``(n_users, n_items)`` CSR matrix with a 1 at every (user, item) pair (duplicates count once)."""
    users, items = np.asarray(users, dtype=np.int64), np.asarray(items, dtype=np.int64)
    x = sp.csr_matrix((np.ones(len(users), dtype=np.float32), (users, items)), shape=(n_users, n_items))
    x.sum_duplicates()
    x.data[:] = 1.0
    return x


@dataclass
class StrongGeneralization:
    """Liang et al.'s split. ``train``: training users x items; ``valid_in``/``valid_out`` and
    ``test_in``/``test_out``: the fold-in and held-out parts of the validation and test users."""

    train: sp.csr_matrix
    valid_in: sp.csr_matrix
    valid_out: sp.csr_matrix
    test_in: sp.csr_matrix
    test_out: sp.csr_matrix
    item_ids: np.ndarray      # original item id of each column
    train_users: np.ndarray   # original user ids, row order of train
    valid_users: np.ndarray
    test_users: np.ndarray
    dropped: int = 0          # held-out users' positives on items no training user has (not evaluable)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def part(self, name: str) -> tuple:
        """``(fold_in, held_out)`` of ``"valid"`` or ``"test"``."""
        if name not in ("valid", "test"):
            raise ValueError(f"part must be 'valid' or 'test', got {name!r}")
        return (self.valid_in, self.valid_out) if name == "valid" else (self.test_in, self.test_out)


def strong_generalization_split(ratings: pd.DataFrame, *, min_rating: float = 4, min_user: int = 5,
                                n_heldout: int = 150, test_prop: float = 0.2, seed: int = 98765
                                ) -> StrongGeneralization:
    """Liang et al. (2018)'s strong-generalisation split of a ratings table (see module docstring).

    The default seed is the one of their notebook (``np.random.seed(98765)``); the draws are
    NumPy's ``default_rng`` here, so the users picked differ from theirs.
    """
    _check_ratings(ratings, ("user_id", "item_id", "rating"))
    check_int("min_user", min_user)
    check_int("n_heldout", n_heldout)
    if not 0 < test_prop < 1:
        raise ValueError(f"test_prop must be in (0, 1), got {test_prop}")
    pos = ratings[ratings["rating"] >= min_rating]
    counts = pos.groupby("user_id").size()
    keep = counts.index[counts >= min_user].to_numpy()
    if len(keep) <= 2 * n_heldout:
        raise ValueError(f"only {len(keep)} users have >= {min_user} positives; cannot hold out 2 x {n_heldout}")
    pos = pos[pos["user_id"].isin(keep)]
    rng = np.random.default_rng(seed)
    users = rng.permutation(np.sort(keep))
    tr_u, va_u, te_u = np.sort(users[:-2 * n_heldout]), np.sort(users[-2 * n_heldout:-n_heldout]), \
        np.sort(users[-n_heldout:])
    tr = pos[pos["user_id"].isin(tr_u)]
    item_ids = np.sort(tr["item_id"].unique())
    col = pd.Series(np.arange(len(item_ids)), index=item_ids)

    def matrix(df, user_order):
        row = pd.Series(np.arange(len(user_order)), index=user_order)
        return interaction_matrix(row.loc[df["user_id"]].to_numpy(), col.loc[df["item_id"]].to_numpy(),
                                  len(user_order), len(item_ids))

    def fold(user_order):
        df = pos[pos["user_id"].isin(user_order) & pos["item_id"].isin(item_ids)]
        df = df.sort_values(["user_id", "item_id"], kind="stable")
        out_mask = np.zeros(len(df), dtype=bool)
        for _, idx in df.groupby("user_id").indices.items():
            n_out = int(test_prop * len(idx))
            if len(idx) >= 5 and n_out > 0:  # as in vae_cf: users with fewer than 5 items are all fold-in
                out_mask[idx[rng.choice(len(idx), size=n_out, replace=False)]] = True
        return matrix(df[~out_mask], user_order), matrix(df[out_mask], user_order)

    vi, vo = fold(va_u)
    ti, to = fold(te_u)
    dropped = int((~pos["item_id"].isin(item_ids)).sum())
    return StrongGeneralization(matrix(tr, tr_u), vi, vo, ti, to, item_ids, tr_u, va_u, te_u, dropped)


@dataclass
class RandomSplit:
    """RecBole's random 8:1:1 split, one row per user (``user_ids``), one column per item."""

    train: sp.csr_matrix
    valid: sp.csr_matrix
    test: sp.csr_matrix
    item_ids: np.ndarray
    user_ids: np.ndarray

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def exclude(self, name: str) -> sp.csr_matrix:
        """Items removed from the ranking of part ``name``: the training items for ``"valid"``,
        training and validation items for ``"test"`` (RecBole's history mask)."""
        if name not in ("valid", "test"):
            raise ValueError(f"part must be 'valid' or 'test', got {name!r}")
        return self.train if name == "valid" else (self.train + self.valid).astype(bool).astype(np.float32).tocsr()

    def users_with(self, name: str) -> np.ndarray:
        """Rows that have at least one item in part ``name`` (RecBole evaluates only those)."""
        m = self.valid if name == "valid" else self.test
        return np.flatnonzero(np.diff(m.indptr) > 0)


def random_split(ratings: pd.DataFrame, ratios=(0.8, 0.1, 0.1), *, seed: int = 2020) -> RandomSplit:
    """RecBole's default split (see module docstring). Per user with ``n`` interactions, the
    validation and test parts get ``int(ratio * n)`` each and the training part the rest; the
    default seed is RecBole's (2020), the shuffle NumPy's ``default_rng`` (not RecBole's order)."""
    _check_ratings(ratings)
    ratios = np.asarray(ratios, dtype=float)
    if ratios.shape != (3,) or (ratios <= 0).any() or abs(ratios.sum() - 1) > 1e-9:
        raise ValueError(f"ratios must be three positive numbers summing to 1, got {ratios.tolist()}")
    df = ratings.drop_duplicates(["user_id", "item_id"])
    user_ids, item_ids = np.sort(df["user_id"].unique()), np.sort(df["item_id"].unique())
    u = pd.Series(np.arange(len(user_ids)), index=user_ids).loc[df["user_id"]].to_numpy()
    i = pd.Series(np.arange(len(item_ids)), index=item_ids).loc[df["item_id"]].to_numpy()
    rng = np.random.default_rng(seed)
    part = np.zeros(len(df), dtype=np.int64)
    order = np.lexsort((i, u))
    for idx in np.split(order, np.flatnonzero(np.diff(u[order])) + 1):
        idx = idx[rng.permutation(len(idx))]
        n_va, n_te = int(ratios[1] * len(idx)), int(ratios[2] * len(idx))
        part[idx[len(idx) - n_va - n_te:len(idx) - n_te]] = 1
        part[idx[len(idx) - n_te:]] = 2
    mats = [interaction_matrix(u[part == p], i[part == p], len(user_ids), len(item_ids)) for p in range(3)]
    return RandomSplit(*mats, item_ids=item_ids, user_ids=user_ids)


def as_item_lists(x: sp.spmatrix) -> list:
    """Each row's items as ids ``column + 1`` (0 is padding), the input of :mod:`companion.baselines`."""
    x = sp.csr_matrix(x)
    return [x.indices[x.indptr[r]:x.indptr[r + 1]] + 1 for r in range(x.shape[0])]


def scores_of(scorer, x: sp.spmatrix) -> np.ndarray:
    """A fitted baseline's scores for the rows of ``x``, ``(n_rows, n_items)`` in column order."""
    return np.asarray(scorer.score(as_item_lists(x)))[:, 1:]
