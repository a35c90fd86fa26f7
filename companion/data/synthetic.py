"""A synthetic e-commerce behavior log whose generating process is known.

Because every probability is known, the best achievable score of any next-item model
(rank by the true distribution) and the best achievable forecast (the true daily mean)
can be computed. The process, for ``n_users`` users over ``days`` days:

1. **Catalogue.** Each item belongs to one of ``n_categories`` categories and has a
   popularity weight ``w_j`` (log-normal). Each item has ``n_neighbours`` "next items"
   (mostly in its own category) with Dirichlet weights: the transition matrix ``T``.
2. **Users.** Category preferences ``π_u ~ Dirichlet(α)``, an activity rate ``λ_u``
   (sessions per day, a floor plus a Gamma), and a cart propensity ``c_u`` (Beta).
3. **Sessions.** On day ``d`` user ``u`` starts ``Poisson(λ_u · s_d)`` sessions, where
   ``s_d = weekly[d mod 7] · (1 + trend · d) · promo_d``; sessions of a user are at
   least ``min_gap`` seconds apart (default 2 h, so a 30-min gap recovers them).
4. **Views.** A session's first item is drawn from the user's taste
   ``q_u(j) ∝ π_u[cat(j)] · w_j``; each next item with probability ``stickiness`` from
   ``T[previous item]`` and otherwise from ``q_u``. After each view the session goes on
   with probability ``continue_prob`` (so its length is geometric with mean ``1/(1-continue_prob)``).
5. **Funnel.** Each view leads to ``cart`` with probability ``c_u``, a cart to ``buy`` with
   probability ``buy_prob`` (times ``promo_buy`` on promotion days, capped at 1), a buy
   to a ``return`` a few days later with probability ``return_prob``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._checks import check_int, check_positive as _positive
from .events import DAY, EVENT_TYPES

__all__ = ["SyntheticShop", "generate_shop_log", "lag_task"]


@dataclass
class SyntheticShop:
    """The generated log together with the parameters that generated it."""

    events: pd.DataFrame
    items: pd.DataFrame
    users: pd.DataFrame
    transition: np.ndarray  # (n_items + 1, n_items + 1), row/col 0 unused
    taste: np.ndarray  # (n_users, n_items + 1): q_u, col 0 = 0
    day_factor: np.ndarray  # s_d, one per day
    buy_prob_by_day: np.ndarray
    params: dict = field(default_factory=dict)
    _prev_item: np.ndarray = field(default=None, repr=False)  # previous view in the session (0 = first)

    @property
    def n_items(self) -> int:
        return len(self.items)

    def views(self) -> pd.DataFrame:
        """The ``view`` events only: the item sequence of the next-item chapters."""
        return self.events[self.events["event"] == "view"]

    def next_item_probs(self, users, prev_items) -> np.ndarray:
        """True distribution of the next viewed item, ``(n, n_items + 1)`` (column = item id).

        ``prev_items[i] = 0`` means the view starts a new session (drawn from the user's taste).
        """
        users = np.asarray(users, dtype=np.int64)
        prev = np.asarray(prev_items, dtype=np.int64)
        if users.shape != prev.shape:
            raise ValueError("users and prev_items must have the same shape")
        if ((users < 1) | (users > len(self.users))).any():
            raise ValueError(f"user ids must lie in 1..{len(self.users)}")
        if ((prev < 0) | (prev > self.n_items)).any():
            raise ValueError(f"prev_items must lie in 0..{self.n_items}")
        s = self.params["stickiness"]
        taste = self.taste[users - 1]
        probs = np.where((prev > 0)[:, None], s * self.transition[prev] + (1 - s) * taste, taste)
        return probs

    def true_next_item_probs(self, rows: pd.DataFrame) -> np.ndarray:
        """True distribution of the item of each given ``view`` row of :attr:`events`
        (selected by index, e.g. each user's last view), ``(len(rows), n_items + 1)``."""
        if not isinstance(rows, pd.DataFrame):
            raise ValueError("rows must be a DataFrame of rows taken from shop.events")
        missing = rows.index.difference(self.events.index)
        if len(missing):
            raise ValueError(f"{len(missing)} row(s) are not rows of shop.events, e.g. {list(missing[:5])}")
        if (self.events.loc[rows.index, "event"] != "view").any():
            raise ValueError("true_next_item_probs is defined for view events only")
        pos = self.events.index.get_indexer(rows.index)
        return self.next_item_probs(self.events["user_id"].to_numpy()[pos], self._prev_item[pos])

    def oracle_scores(self, split, part: str = "test") -> np.ndarray:
        """True probabilities of each split user's ``part`` target, ``(n_users, split.n_items)``,
        columns in the split's item order (padding and items absent from the split get 0,
        then rows are renormalised). ``split`` must be ``leave_one_out(shop.views())``."""
        from .sequences import chronological

        offset = {"test": 1, "valid": 2}.get(part)
        if offset is None:
            raise ValueError(f"part must be 'valid' or 'test', got {part!r}")
        views = chronological(self.views())
        rows = views.groupby("user_id", sort=True).nth(-offset)
        if not np.array_equal(rows["user_id"].to_numpy(), np.asarray(split.users)):
            raise ValueError("split does not come from leave_one_out(shop.views())")
        probs = self.true_next_item_probs(rows)[:, np.asarray(split.item_ids, dtype=np.int64)]
        probs[:, 0] = 0.0
        return probs / probs.sum(1, keepdims=True)

    def best_achievable(self, split, part: str = "test", ks=(10,)) -> dict:
        """Expected Hit/NDCG/MRR@K of ranking by the true next-item distribution: the ceiling
        for any model on this split (see :func:`companion.metrics.expected_ranking_metrics`)."""
        from ..metrics import expected_ranking_metrics

        return expected_ranking_metrics(self.oracle_scores(split, part), ks=ks)

    def daily_counts(self, event: str = "buy") -> pd.Series:
        """Number of ``event`` rows per calendar day (UTC), days without events included as 0."""
        _check_event(event)
        dates = pd.date_range(self.params["start"], periods=self.params["days"], freq="D")
        sel = self.events[self.events["event"] == event]
        day = pd.to_datetime(sel["timestamp"], unit="s").dt.floor("D")
        counts = day.value_counts().reindex(dates, fill_value=0).sort_index()
        counts.index.name, counts.name = "date", event
        return counts.astype("int64")

    def expected_daily(self, event: str = "buy") -> pd.Series:
        """The known mean of :meth:`daily_counts` (for ``view``, ``cart``, ``buy``), by the day a
        session starts (sessions rarely cross midnight; the tests measure how rarely)."""
        _check_event(event)
        if event == "return":
            raise ValueError("expected_daily is not defined for 'return' (returns lag purchases by days)")
        lam = self.users["activity"].to_numpy()
        cart = self.users["cart_prob"].to_numpy()
        mean_len = 1.0 / (1.0 - self.params["continue_prob"])
        sessions = lam.sum() * self.day_factor
        if event == "view":
            per_day = sessions * mean_len
        else:
            carts = (lam * cart).sum() * self.day_factor * mean_len
            per_day = carts if event == "cart" else carts * self.buy_prob_by_day
        dates = pd.date_range(self.params["start"], periods=self.params["days"], freq="D")
        return pd.Series(per_day, index=pd.Index(dates, name="date"), name=f"expected_{event}")


def _check_event(event: str):
    if event not in EVENT_TYPES:
        raise ValueError(f"event must be one of {EVENT_TYPES}, got {event!r}")


def generate_shop_log(
    n_users: int = 600,
    n_items: int = 400,
    n_categories: int = 8,
    days: int = 120,
    *,
    seed: int = 0,
    start: str = "2026-01-05",
    sessions_per_day: float = 0.25,
    continue_prob: float = 0.8,
    stickiness: float = 0.5,
    n_neighbours: int = 8,
    taste_concentration: float = 0.3,
    weekly=(0.9, 0.85, 0.85, 0.9, 1.1, 1.3, 1.1),
    trend: float = 0.002,
    promo_every: int = 30,
    promo_boost: float = 1.8,
    promo_buy: float = 1.5,
    buy_prob: float = 0.4,
    return_prob: float = 0.1,
    min_gap: float = 2 * 3600,
) -> SyntheticShop:
    """Generate a :class:`SyntheticShop`; the same arguments always give the same log.

    Item and user ids start at 1. Promotions last two days, every ``promo_every`` days
    (0 disables them). ``start`` should be a Monday so ``weekly[0]`` is Monday.
    """
    for name, v in [("n_users", n_users), ("n_items", n_items), ("n_categories", n_categories),
                    ("days", days), ("n_neighbours", n_neighbours)]:
        check_int(name, v)
    if n_neighbours >= n_items:
        raise ValueError("n_neighbours must be smaller than n_items")
    _positive("sessions_per_day", sessions_per_day)
    _positive("continue_prob", continue_prob, 1)
    _positive("stickiness", stickiness, 1)
    _positive("taste_concentration", taste_concentration)
    _positive("buy_prob", buy_prob, 1)
    _positive("min_gap", min_gap)
    weekly = np.asarray(weekly, dtype=float)
    if weekly.shape != (7,) or (weekly <= 0).any():
        raise ValueError("weekly must be 7 positive multipliers, Monday first")
    if trend <= -1.0 / days:
        raise ValueError("trend too negative: the session rate would reach zero")
    rng = np.random.default_rng(seed)

    # 1. catalogue
    category = rng.integers(0, n_categories, size=n_items)
    weight = rng.lognormal(0.0, 1.0, size=n_items)
    transition = np.zeros((n_items + 1, n_items + 1))
    for i in range(n_items):
        same = np.flatnonzero(category == category[i])
        same = same[same != i]
        n_same = min(len(same), int(round(0.8 * n_neighbours)))
        p_same = weight[same] / weight[same].sum() if len(same) else None
        nb = list(rng.choice(same, size=n_same, replace=False, p=p_same)) if n_same else []
        others = np.setdiff1d(np.arange(n_items), np.r_[nb, i]).astype(int)
        nb += list(rng.choice(others, size=n_neighbours - len(nb), replace=False,
                              p=weight[others] / weight[others].sum()))
        transition[i + 1, np.asarray(nb) + 1] = rng.dirichlet(np.ones(n_neighbours))

    # 2. users
    pref = rng.dirichlet(np.full(n_categories, taste_concentration), size=n_users)
    activity = sessions_per_day * (0.2 + 0.8 * rng.gamma(2.0, 0.5, size=n_users))  # mean sessions_per_day
    cart_prob = rng.beta(2.0, 14.0, size=n_users)
    taste = np.zeros((n_users, n_items + 1))
    taste[:, 1:] = pref[:, category] * weight
    taste /= taste.sum(1, keepdims=True)

    # 3. day factors
    d = np.arange(days)
    start_ts = pd.Timestamp(start, tz="UTC")
    dow = (start_ts.dayofweek + d) % 7
    promo = np.zeros(days, dtype=bool)
    if promo_every:
        for p0 in range(promo_every // 2, days, promo_every):
            promo[p0:p0 + 2] = True
    day_factor = weekly[dow] * (1 + trend * d) * np.where(promo, promo_boost, 1.0)
    buy_by_day = np.minimum(1.0, buy_prob * np.where(promo, promo_buy, 1.0))

    # session starts: per user, per day
    counts = rng.poisson(np.outer(activity, day_factor))  # (users, days)
    t0 = int(start_ts.timestamp())
    cdf_taste = np.cumsum(taste, axis=1)
    cdf_trans = np.cumsum(transition, axis=1)
    cols = {k: [] for k in ("user_id", "item_id", "event", "timestamp", "session_id", "day")}
    prev_col = []
    session = 0
    for u in range(n_users):
        last_end = -np.inf
        for day in np.flatnonzero(counts[u]):
            starts = np.sort(rng.uniform(8 * 3600, 23 * 3600, size=counts[u, day])) + t0 + day * DAY
            for s0 in starts:
                t = max(s0, last_end + min_gap)
                prev = 0
                while True:
                    r = rng.random()
                    if prev and rng.random() < stickiness:
                        item = int(np.searchsorted(cdf_trans[prev], r * cdf_trans[prev, -1], side="right"))
                    else:
                        item = int(np.searchsorted(cdf_taste[u], r * cdf_taste[u, -1], side="right"))
                    item = min(max(item, 1), n_items)
                    rows = [("view", t)]
                    if rng.random() < cart_prob[u]:
                        rows.append(("cart", t + 15))
                        if rng.random() < buy_by_day[day]:
                            rows.append(("buy", t + 40))
                            if rng.random() < return_prob:
                                rows.append(("return", t + rng.uniform(2, 10) * DAY))
                    for ev, ts in rows:
                        cols["user_id"].append(u + 1)
                        cols["item_id"].append(item)
                        cols["event"].append(ev)
                        cols["timestamp"].append(int(ts))
                        cols["session_id"].append(session)
                        cols["day"].append(day)
                        prev_col.append(prev if ev == "view" else -1)
                    prev = item
                    t += 45 + rng.exponential(60.0)
                    if rng.random() >= continue_prob:
                        break
                last_end = t
                session += 1
    if not cols["user_id"]:
        raise ValueError("the parameters generated no events; raise sessions_per_day or days")
    events = pd.DataFrame({k: np.asarray(v) for k, v in cols.items() if k != "day"})
    events["event"] = events["event"].astype(str)
    events["category"] = category[events["item_id"].to_numpy() - 1]
    order = np.lexsort((events["session_id"].to_numpy(), events["timestamp"].to_numpy(),
                        events["user_id"].to_numpy()))
    events = events.iloc[order].reset_index(drop=True)
    prev_item = np.asarray(prev_col)[order]

    items = pd.DataFrame({"item_id": np.arange(1, n_items + 1), "category": category,
                          "popularity": weight})
    users = pd.DataFrame({"user_id": np.arange(1, n_users + 1), "activity": activity,
                          "cart_prob": cart_prob, "favourite_category": pref.argmax(1)})
    params = dict(n_users=n_users, n_items=n_items, n_categories=n_categories, days=days, seed=seed,
                  start=start, sessions_per_day=sessions_per_day, continue_prob=continue_prob,
                  stickiness=stickiness, n_neighbours=n_neighbours, weekly=weekly.tolist(), trend=trend,
                  promo_days=np.flatnonzero(promo).tolist(), promo_boost=promo_boost, promo_buy=promo_buy,
                  buy_prob=buy_prob, return_prob=return_prob, min_gap=min_gap)
    return SyntheticShop(events=events, items=items, users=users, transition=transition, taste=taste,
                         day_factor=day_factor, buy_prob_by_day=buy_by_day, params=params,
                         _prev_item=prev_item)


def lag_task(n: int, length: int, k: int, *, n_symbols: int = 4, marker: bool = True, seed: int = 0):
    """A sequence task that needs memory ``k`` steps back.

    Each sequence is ``length`` one-hot symbols (events) drawn uniformly from ``n_symbols``; the
    label is the symbol at position ``length - k`` (so ``k = 1`` is the last input, an easy task,
    and large ``k`` means the information has to survive ``k - 1`` updates by other events).
    With ``marker=True`` an extra input channel is 1 at that position, so the model need not
    count steps, only remember (as in Hochreiter & Schmidhuber's 1997 experiments). Chance
    accuracy is ``1 / n_symbols``. Returns ``x`` float32 (n, length, n_symbols + marker) and
    ``y`` int64 (n,).
    """
    if not 1 <= k <= length:
        raise ValueError(f"k must be in [1, length={length}], got {k}")
    rng = np.random.default_rng(seed)
    s = rng.integers(0, n_symbols, size=(n, length))
    x = np.eye(n_symbols, dtype=np.float32)[s]
    if marker:
        flag = np.zeros((n, length, 1), dtype=np.float32)
        flag[:, length - k] = 1.0
        x = np.concatenate([x, flag], axis=-1)
    return x, s[:, length - k].astype(np.int64)
