"""Scripted anomalies injected into the synthetic shop, with the exact likelihoods as the ceiling.

:func:`inject_anomalies` replaces the log of a known fraction ``rate`` of the users of a
:class:`~companion.data.SyntheticShop` by one of three scripts (the normal users' events are left
exactly as generated):

* **bot**: bursts of ``burst`` views at a fixed period over the whole horizon, each burst a
  session, the items drawn uniformly from the user's ``n_fav`` most likely items; never carts;
  as many views as the user's own log had (so a pure count rule does not see it).
* **scraper**: sessions of ``scrape_len`` views, 5 s apart, of distinct items drawn uniformly
  from the whole catalogue (without replacement); never carts; twice the user's own views.
* **cart-stuffer**: the user's own views kept as they are, every view carted with probability
  ``stuff_prob``, nothing ever bought.

Because every script and the normal generator are known, :meth:`AnomalousShop.log_likelihoods`
computes for each user the exact log-probability of their items and funnel decisions under the
normal generator (with that user's true taste, cart propensity and the day's buy probability)
and under the anomaly mixture, both conditional on the sessions' number, lengths and times. Their
difference, the log-likelihood ratio, is by the Neyman–Pearson lemma the best possible anomaly
score on these features: the ceiling for every detector. Returns are not modelled (they follow
purchases days later) and are dropped from the anomalous users' logs.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._checks import check_int
from .events import DAY
from .synthetic import SyntheticShop

__all__ = ["KINDS", "AnomalousShop", "favourite_items", "inject_anomalies"]

KINDS = ("bot", "scraper", "cart_stuffer")


@dataclass
class AnomalousShop:
    """The contaminated log: ``events`` (normal users as generated, anomalous users scripted),
    ``kind`` per user (``"normal"`` or one of :data:`KINDS`), the generating ``shop``, the scripts'
    settings in ``params``."""

    shop: SyntheticShop
    events: pd.DataFrame
    kind: pd.Series          # indexed by user_id 1..n_users
    favourites: dict         # bot user_id -> its n_fav items
    params: dict

    @property
    def is_anomaly(self) -> np.ndarray:
        """Boolean per user, in user_id order."""
        return (self.kind != "normal").to_numpy()

    @property
    def rate(self) -> float:
        return float(self.is_anomaly.mean())

    def user_item_counts(self) -> np.ndarray:
        """``(n_users, 3 * n_items)`` float32: per user, the counts of views, then carts, then buys
        of each item (the bag a VAE reads; event order and timing are lost)."""
        n_u, n_i = len(self.kind), self.shop.n_items
        out = np.zeros((n_u, 3 * n_i), dtype=np.float32)
        for k, ev in enumerate(("view", "cart", "buy")):
            e = self.events[self.events["event"] == ev]
            np.add.at(out, (e["user_id"].to_numpy() - 1, k * n_i + e["item_id"].to_numpy() - 1), 1.0)
        return out

    def count_features(self) -> pd.DataFrame:
        """Per-user counts a rule or an isolation forest can use: views, carts, buys, sessions,
        distinct items viewed, views per session, carts per view, buys per cart."""
        ev = self.events
        g = ev.groupby("user_id")
        f = pd.DataFrame({e: ev[ev["event"] == e].groupby("user_id").size() for e in ("view", "cart", "buy")})
        f = f.reindex(self.kind.index, fill_value=0).fillna(0)
        f.columns = ["views", "carts", "buys"]
        f["sessions"] = g["session_id"].nunique().reindex(self.kind.index, fill_value=0)
        f["distinct_items"] = ev[ev["event"] == "view"].groupby("user_id")["item_id"].nunique().reindex(
            self.kind.index, fill_value=0)
        f["views_per_session"] = f["views"] / f["sessions"].clip(lower=1)
        f["carts_per_view"] = f["carts"] / f["views"].clip(lower=1)
        f["buys_per_cart"] = f["buys"] / f["carts"].clip(lower=1)
        return f.astype(float)

    def log_likelihoods(self) -> pd.DataFrame:
        """Per user: ``normal`` and ``anomaly`` (exact log-likelihoods, see module docstring),
        ``llr = anomaly - normal`` (the ceiling score; ``inf`` when the log is impossible under the
        normal model, ``-inf`` when impossible under every script), and ``views``."""
        shop, p = self.shop, self.params
        ev = self.events[self.events["event"].isin(["view", "cart", "buy"])]
        ev = ev.sort_values(["session_id", "timestamp"], kind="stable")
        kinds, items = ev["event"].to_numpy(), ev["item_id"].to_numpy()
        users, sess = ev["user_id"].to_numpy(), ev["session_id"].to_numpy()
        nxt = np.append(kinds[1:], "")
        is_view = kinds == "view"
        vu, vi, vs = users[is_view], items[is_view], sess[is_view]
        prev = np.r_[0, vi[:-1]]
        prev[np.r_[True, vs[1:] != vs[:-1]]] = 0            # first view of a session: from the taste
        carted = (nxt == "cart")[is_view]
        is_cart = kinds == "cart"
        bought = (nxt == "buy")[is_cart]
        t0 = pd.Timestamp(shop.params["start"], tz="UTC").timestamp()
        start = ev.groupby("session_id")["timestamp"].min()
        day = ((start.loc[sess[is_cart]].to_numpy() - t0) // DAY).astype(int)
        b = shop.buy_prob_by_day[np.clip(day, 0, len(shop.buy_prob_by_day) - 1)]
        cu = shop.users["cart_prob"].to_numpy()
        n_u = len(self.kind)

        def per_user(u, v):
            return np.bincount(u - 1, weights=v, minlength=n_u)

        with np.errstate(divide="ignore"):
            item_lp = np.log(shop.next_item_probs(vu, prev)[np.arange(len(vu)), vi])
            normal = (per_user(vu, item_lp) + per_user(vu, np.log(np.where(carted, cu[vu - 1], 1 - cu[vu - 1])))
                      + per_user(users[is_cart], np.log(np.where(bought, b, 1 - b))))
            n_views = per_user(vu, np.ones(len(vu)))
            n_carts = per_user(vu, carted.astype(float))
            n_buys = per_user(users[is_cart], bought.astype(float))
            # bot: every view one of its favourites (uniform), never a cart, sessions of `burst` views
            fav = favourite_items(shop, p["n_fav"])        # (n_users, n_fav): every user's script
            in_fav = (fav[vu - 1] == vi[:, None]).any(1)
            lens = pd.Series(vs).groupby(vs).transform("size").to_numpy()
            ok = per_user(vu, (~in_fav | (lens != p["burst"])).astype(float)) == 0
            bot = np.where(ok & (n_carts == 0), -n_views * np.log(p["n_fav"]), -np.inf)
            # scraper: distinct items, uniform without replacement, never a cart
            rank = pd.Series(np.arange(len(vu))).groupby(vu).cumcount().to_numpy()
            distinct = per_user(vu, pd.Series(list(zip(vu, vi))).duplicated().to_numpy().astype(float)) == 0
            scraper = np.where(distinct & (n_carts == 0),
                               per_user(vu, -np.log(np.maximum(shop.n_items - rank, 1))), -np.inf)
            # cart-stuffer: the normal view process, carts with stuff_prob, never a buy
            sp_ = p["stuff_prob"]
            stuffer = np.where(n_buys == 0, per_user(vu, item_lp) + n_carts * np.log(sp_)
                               + (n_views - n_carts) * np.log(1 - sp_), -np.inf)
            anomaly = np.logaddexp.reduce(np.stack([bot, scraper, stuffer]), axis=0) - np.log(len(KINDS))
            llr = np.where(np.isneginf(normal), np.inf, anomaly - normal)
        return pd.DataFrame({"normal": normal, "anomaly": anomaly, "llr": llr, "views": n_views},
                            index=self.kind.index)


def favourite_items(shop: SyntheticShop, n_fav: int) -> np.ndarray:
    """``(n_users, n_fav)``: each user's ``n_fav`` most likely items under their taste (a bot's repertoire)."""
    return np.argsort(-shop.taste[:, 1:], axis=1, kind="stable")[:, :n_fav] + 1


def inject_anomalies(shop: SyntheticShop, rate: float = 0.06, *, seed: int = 0, burst: int = 4, n_fav: int = 3,
                     scrape_len: int = 40, stuff_prob: float = 0.9) -> AnomalousShop:
    """Replace the logs of ``round(rate * n_users)`` users (equal shares of :data:`KINDS`) by scripts."""
    if not isinstance(shop, SyntheticShop):
        raise ValueError(f"shop must be a SyntheticShop, got {type(shop).__name__}")
    if not 0 < rate < 0.5:
        raise ValueError(f"rate must be in (0, 0.5), got {rate}")
    for name, v in (("burst", burst), ("n_fav", n_fav), ("scrape_len", scrape_len)):
        check_int(name, v)
    if not 0 < stuff_prob < 1:
        raise ValueError(f"stuff_prob must be in (0, 1), got {stuff_prob}")
    rng = np.random.default_rng(seed)
    n_users, n_items = len(shop.users), shop.n_items
    n_anom = int(round(rate * n_users))
    if n_anom < len(KINDS):
        raise ValueError(f"rate={rate} gives {n_anom} anomalous users; need at least {len(KINDS)}")
    chosen = rng.choice(np.arange(1, n_users + 1), size=n_anom, replace=False)
    kind = pd.Series("normal", index=pd.Index(np.arange(1, n_users + 1), name="user_id"), name="kind")
    kind.loc[chosen] = [KINDS[j % len(KINDS)] for j in range(n_anom)]
    ev = shop.events
    keep = ev[~ev["user_id"].isin(chosen)]
    t0 = int(pd.Timestamp(shop.params["start"], tz="UTC").timestamp())
    horizon = shop.params["days"] * DAY
    cat = shop.items.set_index("item_id")["category"]
    next_session = int(ev["session_id"].max()) + 1
    parts, favourites = [keep], {}

    def rows(u, items, times, events, sessions):
        items = np.asarray(items, dtype=np.int64)
        return pd.DataFrame({"user_id": u, "item_id": items, "event": events, "timestamp": np.asarray(times, np.int64),
                             "session_id": np.asarray(sessions, np.int64), "category": cat.loc[items].to_numpy()})

    for u in np.sort(chosen):
        own = ev[ev["user_id"] == u]
        own_views = int((own["event"] == "view").sum())
        k = kind.loc[u]
        if k == "bot":
            fav = favourite_items(shop, n_fav)[u - 1]
            favourites[int(u)] = fav
            n_bursts = max(2, -(-max(own_views, 8) // burst))
            period = horizon // n_bursts
            phase = rng.integers(0, period)
            b = np.repeat(np.arange(n_bursts), burst)
            times = t0 + phase + b * period + np.tile(np.arange(burst) * 10, n_bursts)
            parts.append(rows(u, rng.choice(fav, size=len(b)), times, "view", next_session + b))
            next_session += n_bursts
        elif k == "scraper":
            n = min(n_items, max(2 * own_views, scrape_len))
            s = np.arange(n) // scrape_len
            starts = np.sort(rng.uniform(0, horizon - DAY, size=s.max() + 1)).astype(np.int64)
            times = t0 + starts[s] + (np.arange(n) % scrape_len) * 5
            parts.append(rows(u, rng.permutation(np.arange(1, n_items + 1))[:n], times, "view", next_session + s))
            next_session += s.max() + 1
        else:  # cart_stuffer: own views, carts with stuff_prob, no buys
            v = own[own["event"] == "view"]
            cart = rng.random(len(v)) < stuff_prob
            parts.append(rows(u, v["item_id"], v["timestamp"], "view", v["session_id"]))
            parts.append(rows(u, v["item_id"][cart], v["timestamp"][cart] + 15, "cart", v["session_id"][cart]))
    events = pd.concat(parts, ignore_index=True)
    order = np.lexsort((events["session_id"].to_numpy(), events["timestamp"].to_numpy(), events["user_id"].to_numpy()))
    events = events.iloc[order].reset_index(drop=True)
    params = dict(rate=rate, seed=seed, burst=burst, n_fav=n_fav, scrape_len=scrape_len, stuff_prob=stuff_prob)
    return AnomalousShop(shop=shop, events=events, kind=kind, favourites=favourites, params=params)
