"""Synthetic shopping sessions whose purchase probability is known exactly.

The task of the purchase-prediction chapter: from the events of a session *so far* (a
prefix), predict whether the session ends in a purchase. To judge a model we want the best
possible answer too, so the sessions come from a small hidden-Markov process whose posterior
``P(purchase | prefix)`` follows from Bayes' rule (the forward algorithm):

1. **Catalogue and users.** ``n_items`` items, each in one of ``n_categories`` categories, with a
   log-normal popularity. Each user has a category taste ``π_u ~ Dirichlet``.
2. **Intent.** A session has a hidden intent ``z_t ∈ {0: browsing, 1: buying}`` at every step.
   The first event's category ``c_1 ~ π_u`` sets the prior ``P(z_1 = 1 | c_1) = prior[c_1]``
   (some categories are bought on impulse, others are researched first). Between steps the
   intent changes: ``P(0→1) = convert_prob``, ``P(1→0) = drop_prob``.
3. **Events.** At step ``t`` the event is ``cart`` with probability ``cart_prob[z_t]``, else
   ``view``; the category stays the same with probability ``stay_prob[z_t]``, else a different
   category is drawn from the user's taste; the item is drawn within the category by popularity.
   (The user's taste and the item popularity do not depend on ``z``, so they cancel in Bayes' rule.)
4. **Length and label.** The session has ``N`` browsing events, ``P(N = n) ∝ continue_prob^(n-1)``
   for ``n = 1..max_len``, independent of the intent. It ends in a purchase (a ``buy`` event on the
   last carted item, else the last viewed one) with probability ``buy_prob[z_N]``.
5. **The prefix.** Each session is cut after ``k`` events, ``k`` uniform on
   ``max(1, N - horizon) .. N`` (the last ``0..horizon`` events are hidden): the model sees
   events ``1..k``; the label is whether the whole session ended in a purchase.

The exact posterior: the forward filter gives ``P(z_k | prefix)``; the remaining length ``N - k``
given the cut ``k`` has ``P(N = n | k) ∝ P(N = n) / min(n, horizon + 1)`` for
``k ≤ n ≤ k + horizon``; so
``P(y = 1 | prefix) = Σ_n P(N = n | k) · P(z_k | prefix) · T^(n-k) · buy_prob``.

Why not :func:`~companion.data.generate_shop_log`? There a ``buy`` follows a ``cart`` of the same
item within 40 seconds with a fixed probability, and carts come from a per-user constant rate:
whether a session *will* end in a purchase does not depend on the order of its events, and the
posterior would need each user's whole history. A hidden intent that drifts during the session
makes the order matter (recent events say more about the intent at the end than old ones), which
is what a recurrent model can exploit and a bag of counts cannot.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._checks import check_int as _int, check_prob as _prob
from .events import DAY, EVENT_TYPES, check_event_log
from .sequences import batch_stream, pad_left, split_by_user

__all__ = [
    "BROWSE_EVENTS",
    "PurchaseSessions",
    "generate_purchase_sessions",
    "order_features",
    "purchase_batches",
    "purchase_posterior",
    "split_by_user",
]

#: Event types a prefix can contain; array code = position + 1 (0 is padding): view = 1, cart = 2.
BROWSE_EVENTS = ("view", "cart")


def _pair(name, v):
    a = np.asarray(v, dtype=float)
    if a.shape != (2,):
        raise ValueError(f"{name} must be a pair (browsing, buying), got {v!r}")
    for i, x in enumerate(a):
        _prob(f"{name}[{i}]", x)
    return a


# ----------------------------------------------------------------------------- the exact posterior
@dataclass(frozen=True)
class _Process:
    prior: np.ndarray  # (C,) P(z_1 = 1 | c_1)
    transition: np.ndarray  # (2, 2) T[z, z']
    cart_prob: np.ndarray  # (2,)
    stay_prob: np.ndarray  # (2,)
    buy_prob: np.ndarray  # (2,)
    length_probs: np.ndarray  # (max_len,) P(N = n), n = 1..max_len
    horizon: int  # the cut hides at most this many events at the end

    @property
    def max_len(self) -> int:
        return len(self.length_probs)

    def future(self) -> np.ndarray:
        """(max_len, 2): row k-1 = P(y = 1 | z_k = z, cut at k), marginalising the remaining length."""
        M = self.max_len
        n = np.arange(1, M + 1)
        powers = [np.eye(2)]
        for _ in range(M):
            powers.append(powers[-1] @ self.transition)
        out = np.zeros((M, 2))
        for k in range(1, M + 1):
            nn_ = n[k - 1:]
            # P(N = n) P(cut = k | N = n): the cut is uniform on max(1, n - horizon) .. n
            w = self.length_probs[k - 1:] * (nn_ - k <= self.horizon) / np.minimum(nn_, self.horizon + 1)
            w = w / w.sum()
            acc = sum(wi * (powers[n_ - k] @ self.buy_prob) for wi, n_ in zip(w, nn_))
            out[k - 1] = acc
        return out

    def filter(self, events: np.ndarray, categories: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Forward filter over left-padded arrays (codes: event 1/2, category 1..C, 0 = pad).

        Returns ``(P(z_k = 1 | prefix), k)`` for each row.
        """
        n, L = events.shape
        alpha = np.zeros((n, 2))
        started = np.zeros(n, dtype=bool)
        prev_cat = np.zeros(n, dtype=np.int64)
        length = np.zeros(n, dtype=np.int64)
        for t in range(L):
            e, c = events[:, t], categories[:, t]
            on = e > 0
            if not on.any():
                continue
            first = on & ~started
            cont = on & started
            lik = np.where((e == 2)[:, None], self.cart_prob[None, :], 1.0 - self.cart_prob[None, :])
            new = np.zeros((n, 2))
            if first.any():
                p1 = self.prior[c[first] - 1]
                new[first] = np.c_[1.0 - p1, p1] * lik[first]
            if cont.any():
                pred = alpha[cont] @ self.transition
                stay = (c[cont] == prev_cat[cont])[:, None]
                cat_lik = np.where(stay, self.stay_prob[None, :], 1.0 - self.stay_prob[None, :])
                new[cont] = pred * lik[cont] * cat_lik
            s = new[on].sum(1, keepdims=True)
            alpha[on] = new[on] / s
            started |= on
            prev_cat[on] = c[on]
            length[on] += 1
        return alpha[:, 1], length


def _default_prior(n_categories: int) -> np.ndarray:
    # impulse categories (high prior) to researched ones (low prior), fixed so every seed shares them
    return np.round(np.linspace(0.45, 0.05, n_categories), 4)


def _length_probs(continue_prob: float, max_len: int) -> np.ndarray:
    p = continue_prob ** np.arange(max_len)
    return p / p.sum()


# ----------------------------------------------------------------------------- the data set
@dataclass
class PurchaseSessions:
    """Generated sessions: the event log, one prefix per session, and the process behind them.

    ``events``:   the full sessions in the book's event-log schema
                  (user_id, item_id, event, timestamp, session_id, category), ``buy`` rows included.
    ``prefixes``: one row per session: session_id, user_id, prefix_len (k, events the model sees),
                  session_len (N, browsing events), label (1 = the session ended in a purchase),
                  p_true (the exact ``P(label = 1 | prefix)``).
    ``items``:    item_id, category, popularity.
    """

    events: pd.DataFrame
    prefixes: pd.DataFrame
    items: pd.DataFrame
    params: dict = field(default_factory=dict)
    _process: _Process = field(default=None, repr=False)

    @property
    def n_categories(self) -> int:
        return int(self.params["n_categories"])

    @property
    def max_len(self) -> int:
        return int(self.params["max_len"])

    def prefix_events(self) -> pd.DataFrame:
        """The rows of :attr:`events` the model may see: the first ``prefix_len`` events of each session."""
        ev = self.events
        pos = ev.groupby("session_id", sort=False).cumcount().to_numpy()
        k = self.prefixes.set_index("session_id")["prefix_len"].reindex(ev["session_id"]).to_numpy()
        return ev[(pos < k) & ev["event"].isin(BROWSE_EVENTS).to_numpy()]

    def arrays(self, rows=None, max_len: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Left-padded ``(events, categories)`` int64 arrays ``(n, max_len)`` of the prefixes.

        Codes: event ``view`` = 1, ``cart`` = 2; category ``c`` = ``c + 1``; 0 = padding.
        ``rows`` selects prefixes (a boolean mask or integer positions of :attr:`prefixes`).
        """
        L = self.max_len if max_len is None else _int("max_len", max_len)
        pe = self.prefix_events()
        code = pe["event"].map({e: i + 1 for i, e in enumerate(BROWSE_EVENTS)}).to_numpy(np.int64)
        cat = pe["category"].to_numpy(np.int64) + 1
        sid = pe["session_id"].to_numpy()
        starts = np.flatnonzero(np.r_[True, sid[1:] != sid[:-1]])
        ends = np.r_[starts[1:], len(sid)]
        by_session = {sid[s]: (s, e) for s, e in zip(starts, ends)}
        order = [by_session[s] for s in self.prefixes["session_id"].to_numpy()]
        ev = pad_left([code[s:e] for s, e in order], L)
        ca = pad_left([cat[s:e] for s, e in order], L)
        if rows is not None:
            ev, ca = ev[rows], ca[rows]
        return ev, ca

    def bag_of_events(self, rows=None) -> pd.DataFrame:
        """Counts per prefix: ``n_view``, ``n_cart``, ``n_cat_0`` .. ``n_cat_{C-1}`` (order is lost)."""
        ev, ca = self.arrays(rows)
        C = self.n_categories
        out = {"n_view": (ev == 1).sum(1), "n_cart": (ev == 2).sum(1)}
        for c in range(C):
            out[f"n_cat_{c}"] = (ca == c + 1).sum(1)
        return pd.DataFrame(out)

    def order_features(self, rows=None) -> pd.DataFrame:
        """:meth:`bag_of_events` plus :func:`order_features` of the same prefixes (prefix events only)."""
        ev, ca = self.arrays(rows)
        bag = self.bag_of_events(rows)
        return pd.concat([bag, order_features(ev, ca, self.n_categories)], axis=1)

    def posterior(self, events, categories) -> np.ndarray:
        """Exact ``P(purchase | prefix)`` for left-padded code arrays (see :meth:`arrays`)."""
        return purchase_posterior(events, categories, self._process)

    def split(self, fractions=(0.7, 0.15, 0.15), seed: int = 0) -> dict:
        """Boolean masks over :attr:`prefixes` for train/valid/test, split by user (see :func:`split_by_user`)."""
        return split_by_user(self.prefixes["user_id"].to_numpy(), fractions, seed=seed)


def order_features(events, categories, n_categories: int) -> pd.DataFrame:
    """A few hand-made features of the *order* of a prefix, for a logistic regression.

    Input: the left-padded code arrays of :meth:`PurchaseSessions.arrays` (event 1 = view, 2 = cart;
    category ``c`` has code ``c + 1``; 0 = padding), which hold the prefix only, so no feature can see
    the events after the cut. Columns:

    * ``last_is_cart``: the last event of the prefix is a cart (1/0);
    * ``carts_last3``: carts among the last three events;
    * ``same_category_last2``: the last two events share a category (0 for a one-event prefix);
    * ``first_cat_0`` .. ``first_cat_{C-1}``: the first event's category, one-hot.
    """
    ev = np.atleast_2d(np.asarray(events))
    ca = np.atleast_2d(np.asarray(categories))
    C = _int("n_categories", n_categories, low=1)
    if ev.shape != ca.shape:
        raise ValueError(f"events {ev.shape} and categories {ca.shape} must have the same shape")
    if not (np.issubdtype(ev.dtype, np.integer) and np.issubdtype(ca.dtype, np.integer)):
        raise ValueError("events and categories must be integer codes (see PurchaseSessions.arrays)")
    if ev.shape[1] < 2:
        raise ValueError(f"prefix arrays need at least 2 columns, got {ev.shape[1]}")
    if ((ev < 0) | (ev > 2)).any() or ((ca < 0) | (ca > C)).any():
        raise ValueError(f"codes out of range: events must lie in 0..2, categories in 0..{C} (0 = pad)")
    if ((ev > 0) != (ca > 0)).any():
        raise ValueError("events and categories must be padded at the same positions")
    length = (ev > 0).sum(1)
    if (length == 0).any():
        raise ValueError(f"{int((length == 0).sum())} empty prefix(es): every prefix needs at least one event")
    L = ev.shape[1]
    first = ca[np.arange(len(ca)), L - length] - 1  # left padding: the first event sits at L - length
    out = {
        "last_is_cart": (ev[:, -1] == 2).astype(float),
        "carts_last3": (ev[:, -3:] == 2).sum(1).astype(float),
        "same_category_last2": ((ca[:, -1] == ca[:, -2]) & (ca[:, -2] > 0)).astype(float),
    }
    for c in range(C):
        out[f"first_cat_{c}"] = (first == c).astype(float)
    return pd.DataFrame(out)


def purchase_posterior(events, categories, process: _Process) -> np.ndarray:
    """Exact ``P(purchase | prefix)`` by the forward algorithm (validated code arrays)."""
    ev = np.atleast_2d(np.asarray(events))
    ca = np.atleast_2d(np.asarray(categories))
    if ev.shape != ca.shape:
        raise ValueError(f"events {ev.shape} and categories {ca.shape} must have the same shape")
    if not (np.issubdtype(ev.dtype, np.integer) and np.issubdtype(ca.dtype, np.integer)):
        raise ValueError("events and categories must be integer codes (see PurchaseSessions.arrays)")
    if ev.shape[1] > process.max_len:
        raise ValueError(f"prefixes longer than max_len={process.max_len} cannot occur")
    if ((ev < 0) | (ev > 2)).any():
        raise ValueError("event codes must be 0 (pad), 1 (view) or 2 (cart)")
    C = len(process.prior)
    if ((ca < 0) | (ca > C)).any():
        raise ValueError(f"category codes must lie in 0..{C} (0 = pad)")
    if ((ev > 0) != (ca > 0)).any():
        raise ValueError("events and categories must be padded at the same positions")
    p1, k = process.filter(ev, ca)
    if (k == 0).any():
        raise ValueError(f"{int((k == 0).sum())} empty prefix(es): every prefix needs at least one event")
    fut = process.future()[k - 1]  # (n, 2)
    return (1.0 - p1) * fut[:, 0] + p1 * fut[:, 1]


def generate_purchase_sessions(
    n_users: int = 3000,
    n_categories: int = 8,
    n_items: int = 200,
    *,
    sessions_per_user: float = 2.0,
    max_len: int = 12,
    continue_prob: float = 0.8,
    horizon: int = 2,
    prior=None,
    convert_prob: float = 0.10,
    drop_prob: float = 0.25,
    cart_prob=(0.05, 0.50),
    stay_prob=(0.30, 0.90),
    buy_prob=(0.02, 0.90),
    taste_concentration: float = 0.5,
    days: int = 60,
    start: str = "2026-01-05",
    seed: int = 0,
) -> PurchaseSessions:
    """Generate :class:`PurchaseSessions`; the same arguments always give the same data.

    Every user has ``1 + Poisson(sessions_per_user - 1)`` sessions, at least two hours apart
    (so :func:`~companion.data.sessionize` with a 30-minute gap recovers them). Pairs are
    ``(browsing, buying)`` values; ``prior`` (one probability per category) defaults to an even
    spread from 0.45 down to 0.05. User and item ids start at 1, categories at 0.
    """
    n_users = _int("n_users", n_users)
    n_categories = _int("n_categories", n_categories, low=2)
    n_items = _int("n_items", n_items)
    if n_items < n_categories:
        raise ValueError(f"n_items ({n_items}) must be at least n_categories ({n_categories})")
    max_len = _int("max_len", max_len, low=2)
    horizon = _int("horizon", horizon, low=0)
    days = _int("days", days)
    seed = _int("seed", seed, low=0)
    try:
        sessions_per_user = float(sessions_per_user)
    except (TypeError, ValueError):
        raise ValueError(f"sessions_per_user must be a number >= 1, got {sessions_per_user!r}") from None
    if not np.isfinite(sessions_per_user) or sessions_per_user < 1:
        raise ValueError(f"sessions_per_user must be a number >= 1, got {sessions_per_user}")
    continue_prob = _prob("continue_prob", continue_prob, open_=True)
    convert_prob = _prob("convert_prob", convert_prob)
    drop_prob = _prob("drop_prob", drop_prob)
    cart = _pair("cart_prob", cart_prob)
    stay = _pair("stay_prob", stay_prob)
    buy = _pair("buy_prob", buy_prob)
    if np.any(stay == 0) or np.any(stay == 1):
        raise ValueError(f"stay_prob must lie strictly between 0 and 1, got {stay.tolist()}")
    if taste_concentration <= 0 or not np.isfinite(taste_concentration):
        raise ValueError(f"taste_concentration must be positive, got {taste_concentration}")
    prior = _default_prior(n_categories) if prior is None else np.asarray(prior, dtype=float)
    if prior.shape != (n_categories,):
        raise ValueError(f"prior must have one probability per category ({n_categories}), got shape {prior.shape}")
    for i, x in enumerate(prior):
        _prob(f"prior[{i}]", x)

    T = np.array([[1 - convert_prob, convert_prob], [drop_prob, 1 - drop_prob]])
    proc = _Process(prior=prior, transition=T, cart_prob=cart, stay_prob=stay, buy_prob=buy,
                    length_probs=_length_probs(continue_prob, max_len), horizon=horizon)
    rng = np.random.default_rng(seed)

    # catalogue and users
    item_cat = np.sort(np.r_[np.arange(n_categories), rng.integers(0, n_categories, n_items - n_categories)])
    pop = rng.lognormal(0.0, 1.0, n_items)
    taste = rng.dirichlet(np.full(n_categories, taste_concentration), size=n_users)
    per_user = 1 + rng.poisson(sessions_per_user - 1.0, n_users)
    S = int(per_user.sum())
    user = np.repeat(np.arange(n_users), per_user)

    # sessions, vectorised over sessions, one step at a time
    N = 1 + rng.choice(max_len, size=S, p=proc.length_probs)
    z = np.zeros((S, max_len), dtype=np.int64)
    e = np.zeros((S, max_len), dtype=np.int64)  # 1 view, 2 cart
    c = np.zeros((S, max_len), dtype=np.int64)  # 0-based category
    cum_taste = np.cumsum(taste, axis=1)
    c[:, 0] = np.minimum((rng.random(S)[:, None] > cum_taste[user]).sum(1), n_categories - 1)
    z[:, 0] = rng.random(S) < prior[c[:, 0]]
    for t in range(max_len):
        if t > 0:
            flip = rng.random(S) < np.where(z[:, t - 1] == 1, drop_prob, convert_prob)
            z[:, t] = np.where(flip, 1 - z[:, t - 1], z[:, t - 1])
            stay_now = rng.random(S) < stay[z[:, t]]
            # switch: a different category from the user's taste (renormalised without the current one)
            w = taste[user].copy()
            w[np.arange(S), c[:, t - 1]] = 0.0
            w /= w.sum(1, keepdims=True)
            new_cat = np.minimum((rng.random(S)[:, None] > np.cumsum(w, axis=1)).sum(1), n_categories - 1)
            c[:, t] = np.where(stay_now, c[:, t - 1], new_cat)
        e[:, t] = np.where(rng.random(S) < cart[z[:, t]], 2, 1)
    z_end = z[np.arange(S), N - 1]
    label = (rng.random(S) < buy[z_end]).astype(np.int64)
    k = N - np.floor(rng.random(S) * np.minimum(N, horizon + 1)).astype(np.int64)

    # items: by popularity within the category
    items_of = [np.flatnonzero(item_cat == j) for j in range(n_categories)]
    cum_pop = [np.cumsum(pop[ix]) / pop[ix].sum() for ix in items_of]
    u_item = rng.random((S, max_len))
    item = np.zeros((S, max_len), dtype=np.int64)
    for j in range(n_categories):
        m = c == j
        pos = np.minimum(np.searchsorted(cum_pop[j], u_item[m], side="right"), len(items_of[j]) - 1)
        item[m] = items_of[j][pos] + 1

    # timestamps: sessions of a user at least 2 h apart, events 20 s + Exp(40 s) apart
    t0 = int(pd.Timestamp(start, tz="UTC").timestamp())
    starts = t0 + rng.uniform(0, days * DAY, S)
    gaps = 20.0 + rng.exponential(40.0, (S, max_len))
    order = np.lexsort((starts, user))
    starts_sorted = starts[order].copy()
    dur = gaps.sum(1)[order] + 60.0
    for i in range(1, S):  # push a session later if it would overlap the previous one of the user
        if user[order[i]] == user[order[i - 1]]:
            starts_sorted[i] = max(starts_sorted[i], starts_sorted[i - 1] + dur[i - 1] + 2 * 3600)
    starts[order] = starts_sorted
    session_id = np.empty(S, dtype=np.int64)
    session_id[order] = np.arange(S)  # ids in (user, time) order
    ts = starts[:, None] + np.cumsum(gaps, axis=1) - gaps[:, :1]

    steps = np.arange(max_len)[None, :] < N[:, None]
    si, ti = np.nonzero(steps)
    cols = {
        "user_id": user[si] + 1,
        "item_id": item[si, ti],
        "event": np.asarray(BROWSE_EVENTS, dtype=object)[e[si, ti] - 1],
        "timestamp": ts[si, ti].astype(np.int64),
        "session_id": session_id[si],
        "category": c[si, ti],
    }
    # buy rows: last carted item of the session, else the last viewed one
    buyers = np.flatnonzero(label == 1)
    last_cart = np.where((e == 2) & steps, np.arange(max_len)[None, :], -1).max(1)
    at = np.where(last_cart >= 0, last_cart, N - 1)[buyers]
    buy_cols = {
        "user_id": user[buyers] + 1,
        "item_id": item[buyers, at],
        "event": np.full(len(buyers), "buy", dtype=object),
        "timestamp": (ts[buyers, N[buyers] - 1] + 30).astype(np.int64),
        "session_id": session_id[buyers],
        "category": c[buyers, at],
    }
    events = pd.DataFrame({k_: np.r_[cols[k_], buy_cols[k_]] for k_ in cols})
    events["event"] = events["event"].astype(str)
    events = events.sort_values(["user_id", "timestamp", "session_id"], kind="stable").reset_index(drop=True)
    assert set(events["event"]) <= set(EVENT_TYPES)
    check_event_log(events)

    prefixes = pd.DataFrame({
        "session_id": session_id, "user_id": user + 1, "prefix_len": k, "session_len": N,
        "label": label,
    }).sort_values("session_id", kind="stable").reset_index(drop=True)
    items = pd.DataFrame({"item_id": np.arange(1, n_items + 1), "category": item_cat, "popularity": pop})
    params = dict(n_users=n_users, n_categories=n_categories, n_items=n_items,
                  sessions_per_user=sessions_per_user, max_len=max_len, continue_prob=continue_prob, horizon=horizon,
                  prior=prior.tolist(), convert_prob=convert_prob, drop_prob=drop_prob,
                  cart_prob=cart.tolist(), stay_prob=stay.tolist(), buy_prob=buy.tolist(),
                  taste_concentration=float(taste_concentration), days=days, start=start, seed=seed)
    data = PurchaseSessions(events=events, prefixes=prefixes, items=items, params=params, _process=proc)
    ev_a, ca_a = data.arrays()
    data.prefixes["p_true"] = data.posterior(ev_a, ca_a)
    return data


def purchase_batches(events, categories, labels, *, batch_size: int = 128, pool: int = 8, seed: int = 0):
    """One epoch of length-bucketed batches per call, for ``fit`` in either framework.

    Each batch is ``({"events": (B, L) int64, "categories": (B, L) int64}, labels (B,) float32)``.
    Length bucketing (:func:`companion.data.batch_stream` with ``bucket_by``): rows of similar
    prefix length share a batch, so the loop over time (which skips all-padding columns) is short
    for short prefixes. Epoch ``e`` uses seed ``seed + e``, so runs repeat exactly.
    """
    ev = np.asarray(events, dtype=np.int64)
    ca = np.asarray(categories, dtype=np.int64)
    y = np.asarray(labels, dtype=np.float32)
    if not (len(ev) == len(ca) == len(y)):
        raise ValueError(f"events, categories and labels differ in length: {len(ev)}, {len(ca)}, {len(y)}")
    return batch_stream({"events": ev, "categories": ca}, y, batch_size=batch_size, seed=seed,
                        bucket_by=(ev > 0).sum(1), pool=pool)


def recent_counts(events, categories, n_categories: int, window: int) -> np.ndarray:
    """The bag of events of the last ``window`` events of each prefix: views, carts, and events per
    category (columns as :meth:`PurchaseSessions.bag_of_events`). Input: left-padded code arrays."""
    ev = np.atleast_2d(np.asarray(events))
    ca = np.atleast_2d(np.asarray(categories))
    C = _int("n_categories", n_categories, low=1)
    w = _int("window", window)
    if ev.shape != ca.shape:
        raise ValueError(f"events {ev.shape} and categories {ca.shape} must have the same shape")
    if w > ev.shape[1]:
        raise ValueError(f"window {w} is longer than the prefix arrays ({ev.shape[1]} columns)")
    e, c = ev[:, -w:], ca[:, -w:]  # left padding: the last w columns hold the last w events
    return np.column_stack([(e == 1).sum(1), (e == 2).sum(1)] + [(c == j + 1).sum(1) for j in range(C)])


def window_validation_auc(data: PurchaseSessions, windows=None, *, split_seed: int = 0, C: float = 1.0):
    """Validation ROC-AUC of a logistic regression on :func:`recent_counts` for every window length.

    The "time step" of a sequence model is how many of the latest events it reads. This treats it as a
    hyperparameter: for each ``w`` in ``windows`` (default ``1 .. data.max_len``) fit the regression
    (standardised counts, inverse regularisation ``C``) on the training users of ``data.split(seed=split_seed)``
    and score the validation users; the test users are not touched. Returns a Series indexed by ``w``.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    windows = list(range(1, data.max_len + 1) if windows is None else windows)
    if not windows:
        raise ValueError("give at least one window length")
    split = data.split(fractions=(0.7, 0.15, 0.15), seed=split_seed)
    tr, va = split["train"], split["valid"]
    events, cats = data.arrays()
    y = data.prefixes["label"].to_numpy()
    auc = {}
    for w in windows:
        X = recent_counts(events, cats, data.n_categories, w)
        model = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=2000)).fit(X[tr], y[tr])
        auc[int(w)] = roc_auc_score(y[va], model.predict_proba(X[va])[:, 1])
    return pd.Series(auc, name="validation ROC-AUC").rename_axis("window w")


#: Two versions of the chapter's generator that differ only in how fast the hidden intent drifts
#: (``convert_prob``, ``drop_prob``); sequences have the same maximum length (12) in both.
DRIFT_VARIANTS = {
    "intent drifts fast (convert 0.3, drop 0.5)": dict(convert_prob=0.3, drop_prob=0.5),
    "intent never changes (convert 0, drop 0)": dict(convert_prob=0.0, drop_prob=0.0),
}


def window_length_study(n_users: int = 5000, seed: int = 0) -> pd.DataFrame:
    """:func:`window_validation_auc` on each of :data:`DRIFT_VARIANTS` (``n_users`` users, ``seed``): one
    column per variant, one row per window length 1..12. Source 002's FAQ says the time step is usually half
    the sequence length (6 here) for forecasting and 1 or 2 for sequence classification; the validation
    choice differs between the two variants although their sequences are equally long."""
    cols = {name: window_validation_auc(generate_purchase_sessions(n_users=n_users, seed=seed, **kw))
            for name, kw in DRIFT_VARIANTS.items()}
    return pd.DataFrame(cols)


__all__ += ["DRIFT_VARIANTS", "recent_counts", "window_length_study", "window_validation_auc"]
