"""Churn (用户流失) data: a synthetic subscription log with a known hazard, and the MovieLens-100K proxy.

**The synthetic log** (:func:`generate_churn_log`). Users join a subscription service in week
``join`` (uniform on ``0 .. end_week - landmark - 1``) and are followed week by week until they
cancel or the data end (calendar week ``end_week``). Each user has a session rate ``λ_u``
(Gamma) and a bad-experience probability ``p_u`` per session (Beta: a failed search, a return).
A frustration level ``s ∈ {0, ..., max_frustration}`` (0 at joining) drives the week:

1. the user has ``n ~ Poisson(λ_u · decay^s)`` sessions (activity decays as frustration grows);
2. ``b ~ Binomial(n, p_u)`` of them are bad experiences;
3. the level moves: ``s' = min(s + 1, max)`` after a week with a bad experience, else
   ``max(s - recovery, 0)`` (default ``recovery = 0``: the frustration is the number of weeks with a
   bad experience, capped, and does not fade);
4. the user cancels at the end of the week with the hazard (风险函数)
   ``h = sigmoid(α + β · s' + γ · [n = 0])``: bad experiences and idle weeks raise it.

The frustration level is a function of the observed weeks, and given it (and ``λ_u, p_u``) the
future is a Markov chain, so each user's true survival curve after any week is exact:
``S(k) = e_s^T M_u^k 1`` with ``M_u`` the chain's sub-stochastic matrix of alive states
(:meth:`ChurnLog.true_survival`). A model that sees only the log cannot know ``λ_u`` and ``p_u``
exactly, so the oracle's scores are a ceiling that no model can beat in expectation.

**The landmark task** (:meth:`ChurnLog.landmark`): features from the first ``landmark`` weeks of
each user's tenure; the users still subscribed then are followed from the landmark; the duration is
the week after the landmark in which they cancel, censored (删失) at the data's end.

**MovieLens-100K** (:func:`movielens_churn`): there is no cancellation, so churn is the proxy "no
rating in the ``window_days`` days after the cutoff", with each user's cutoff ``landmark_days``
after their first rating; users whose look-ahead window runs past the data's end and who have not
rated again are censored, not labelled.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._checks import check_int
from .events import DAY

__all__ = ["ChurnLog", "LandmarkTask", "MovieLensChurn", "generate_churn_log", "movielens_churn", "rfm_features"]


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


@dataclass
class LandmarkTask:
    """Users at risk at the landmark: weekly features before it, what happened after it.

    ``sequences`` ``(n, landmark, 3)`` float32: per week log1p(sessions), bad experiences, idle flag;
    ``rfm`` the recency / frequency / volume features at the landmark (:func:`rfm_features`);
    ``duration``/``event`` the observed (censored) outcome after the landmark, ``true_duration``
    the generator's (known only here); ``follow_up`` the weeks observed after the landmark;
    ``true_survival`` ``(n, horizon)`` the exact ``S(1..horizon)`` given what the generator knows.
    """

    users: pd.DataFrame
    sequences: np.ndarray
    rfm: pd.DataFrame
    duration: np.ndarray
    event: np.ndarray
    true_duration: np.ndarray
    follow_up: np.ndarray
    true_survival: np.ndarray


@dataclass
class ChurnLog:
    """The generated weekly log, the users (with their latent rates) and the parameters."""

    weeks: pd.DataFrame   # user_id, week (tenure, 1..), calendar_week, sessions, bad, frustration (after the week)
    users: pd.DataFrame   # user_id, join_week, rate, bad_prob, churn_week (tenure; true), observed_weeks
    params: dict = field(default_factory=dict)

    def hazard(self, level, idle) -> np.ndarray:
        """The weekly hazard after a week ending at frustration ``level`` (idle: no session)."""
        p = self.params
        return _sigmoid(p["alpha"] + p["beta"] * np.asarray(level) + p["gamma"] * np.asarray(idle, dtype=float))

    def transition(self, rate: float, bad_prob: float) -> np.ndarray:
        """``M[s, s']``: probability of staying subscribed through a week and moving from ``s`` to ``s'``."""
        p = self.params
        S = p["max_frustration"]
        M = np.zeros((S + 1, S + 1))
        for s in range(S + 1):
            mu = rate * p["decay"] ** s
            idle = np.exp(-mu)
            bad = 1.0 - np.exp(-mu * bad_prob)
            good = 1.0 - idle - bad
            down, up = max(s - p["recovery"], 0), min(s + 1, S)
            M[s, down] += idle * (1 - self.hazard(down, 1)) + good * (1 - self.hazard(down, 0))
            M[s, up] += bad * (1 - self.hazard(up, 0))
        return M

    def true_survival(self, user_ids, level, horizon: int) -> np.ndarray:
        """Exact ``S(1..horizon)`` of each user from a week ending at frustration ``level``."""
        check_int("horizon", horizon)
        u = self.users.set_index("user_id").loc[np.asarray(user_ids)]
        out = np.empty((len(u), horizon))
        for i, (rate, q, s) in enumerate(zip(u["rate"], u["bad_prob"], np.asarray(level))):
            M = self.transition(rate, q)
            v = np.zeros(len(M))
            v[int(s)] = 1.0
            for k in range(horizon):
                v = v @ M
                out[i, k] = v.sum()
        return out

    def landmark(self, landmark: int | None = None, horizon: int = 12) -> LandmarkTask:
        """The landmark task (see the module docstring); ``landmark`` defaults to the generator's."""
        L = self.params["landmark"] if landmark is None else check_int("landmark", landmark)
        end = self.params["end_week"]
        u = self.users
        at_risk = (u["churn_week"] > L) & (u["join_week"] + L < end)
        users = u[at_risk].reset_index(drop=True)
        w = self.weeks[self.weeks["user_id"].isin(users["user_id"]) & (self.weeks["week"] <= L)]
        w = w.sort_values(["user_id", "week"])
        n = len(users)
        sessions = w["sessions"].to_numpy().reshape(n, L)
        bad = w["bad"].to_numpy().reshape(n, L)
        seq = np.stack([np.log1p(sessions), bad, (sessions == 0)], axis=-1).astype(np.float32)
        level = w["frustration"].to_numpy().reshape(n, L)[:, -1]
        true_t = (users["churn_week"] - L).to_numpy()
        follow = (end - users["join_week"] - L).to_numpy()
        rfm = rfm_features(sessions, bad)
        return LandmarkTask(users=users.assign(level=level), sequences=seq, rfm=rfm,
                            duration=np.minimum(true_t, follow), event=(true_t <= follow).astype(np.int64),
                            true_duration=true_t, follow_up=follow,
                            true_survival=self.true_survival(users["user_id"], level, horizon))


def rfm_features(sessions, bad) -> pd.DataFrame:
    """Recency (periods since the last active one; the window length if never active), frequency
    (active periods), volume (sessions; the "monetary" of RFM) and bad experiences, from
    ``(n, periods)`` arrays of counts before the cutoff."""
    sessions = np.asarray(sessions)
    active = sessions > 0
    L = sessions.shape[1]
    recency = np.where(active.any(1), np.argmax(active[:, ::-1], axis=1), L)
    return pd.DataFrame({"recency": recency, "frequency": active.sum(1), "volume": sessions.sum(1),
                         "bad": np.asarray(bad).sum(1)}).astype(float)


def generate_churn_log(n_users: int = 5000, *, end_week: int = 40, landmark: int = 8, max_weeks: int = 120,
                       rate_shape: float = 1.0, rate_scale: float = 3.0, bad_a: float = 1.0, bad_b: float = 8.0,
                       decay: float = 0.6, max_frustration: int = 8, alpha: float = -5.0, beta: float = 0.6,
                       gamma: float = 2.0, recovery: int = 0, seed: int = 0) -> ChurnLog:
    """Simulate the weekly subscription log of the module docstring (tenure weeks ``1..max_weeks``;
    the log keeps only the weeks before ``end_week``, the users table the true cancellation week)."""
    check_int("n_users", n_users)
    check_int("end_week", end_week)
    check_int("landmark", landmark)
    if landmark >= end_week - 1:
        raise ValueError(f"landmark ({landmark}) must leave at least one week before end_week ({end_week})")
    if not 0 < decay <= 1:
        raise ValueError(f"decay must lie in (0, 1], got {decay}")
    rng = np.random.default_rng(seed)
    join = rng.integers(0, end_week - landmark, n_users)
    rate = rng.gamma(rate_shape, rate_scale, n_users)
    q = rng.beta(bad_a, bad_b, n_users)
    params = dict(end_week=end_week, landmark=landmark, decay=decay, max_frustration=max_frustration,
                  alpha=alpha, beta=beta, gamma=gamma, recovery=recovery, seed=seed)
    log = ChurnLog(weeks=pd.DataFrame(), users=pd.DataFrame(), params=params)
    s = np.zeros(n_users, dtype=np.int64)
    alive = np.ones(n_users, dtype=bool)
    churn = np.full(n_users, max_weeks + 1)
    rows = []
    for t in range(1, max_weeks + 1):
        n = rng.poisson(rate * decay ** s)
        b = rng.binomial(n, q)
        s = np.where(b > 0, np.minimum(s + 1, max_frustration), np.maximum(s - recovery, 0))
        observed = alive & (join + t <= end_week)  # calendar week join + t - 1 lies before the end
        idx = np.flatnonzero(observed)
        rows.append(np.column_stack([idx + 1, np.full(len(idx), t), join[idx] + t - 1, n[idx], b[idx], s[idx]]))
        leave = alive & (rng.random(n_users) < log.hazard(s, n == 0))
        churn[leave] = t
        alive &= ~leave
    weeks = pd.DataFrame(np.concatenate(rows), columns=["user_id", "week", "calendar_week", "sessions", "bad",
                                                         "frustration"]).sort_values(["user_id", "week"])
    log.weeks = weeks.reset_index(drop=True)
    log.users = pd.DataFrame({"user_id": np.arange(1, n_users + 1), "join_week": join, "rate": rate, "bad_prob": q,
                              "churn_week": churn, "observed_weeks": np.minimum(churn, end_week - join)})
    return log


@dataclass
class MovieLensChurn:
    """The ML-100K churn proxy: one row per user (see :func:`movielens_churn`)."""

    users: pd.DataFrame      # user_id, first, cutoff, label (1 churn / 0 / NaN censored), censored, rfm..., leaky
    sequences: np.ndarray    # (n, max_len, 3) left-padded: rating/5, log1p(hours since previous), present
    params: dict


def movielens_churn(ratings: pd.DataFrame, *, landmark_days: float = 7, window_days: float = 30,
                    max_len: int = 50, end=None) -> MovieLensChurn:
    """Churn as "no rating in the ``window_days`` days after the cutoff", the cutoff of each user
    ``landmark_days`` after their first rating. Features use only ratings before the cutoff
    (the ``leaky_*`` columns use every rating: total volume, and tenure = days from the first to the
    last rating ever; that is the pitfall). A user with no rating after the cutoff whose
    window ends after the data's last timestamp (``end``) is censored: ``label`` is NaN."""
    need = {"user_id", "item_id", "rating", "timestamp"}
    if missing := need - set(ratings.columns):
        raise ValueError(f"ratings lack columns {sorted(missing)}")
    if window_days <= 0 or landmark_days < 0:
        raise ValueError("window_days must be > 0 and landmark_days >= 0")
    r = ratings.sort_values(["user_id", "timestamp"], kind="stable")
    end = r["timestamp"].max() if end is None else end
    first = r.groupby("user_id")["timestamp"].min()
    cutoff = first + landmark_days * DAY
    r = r.assign(cutoff=r["user_id"].map(cutoff))
    before = r[r["timestamp"] < r["cutoff"]]
    after = r[(r["timestamp"] >= r["cutoff"])]
    next_after = after.groupby("user_id")["timestamp"].min().reindex(first.index)
    window_end = cutoff + window_days * DAY
    returned = next_after < window_end
    censored = ~returned & (window_end > end)
    label = np.where(returned, 0.0, 1.0)
    label[censored.to_numpy()] = np.nan
    day = (before["timestamp"] // DAY)
    g = before.assign(day=day).groupby("user_id")
    last = g["timestamp"].max().reindex(first.index)
    users = pd.DataFrame({
        "user_id": first.index, "first": first.to_numpy(), "cutoff": cutoff.to_numpy(), "label": label,
        "censored": censored.to_numpy(),
        "recency": ((cutoff - last) / DAY).to_numpy(),
        "frequency": g["day"].nunique().reindex(first.index).fillna(0).to_numpy(),
        "volume": g.size().reindex(first.index).fillna(0).to_numpy(),
        "mean_rating": g["rating"].mean().reindex(first.index).to_numpy(),
        "leaky_volume": r.groupby("user_id").size().reindex(first.index).to_numpy(),
        "leaky_tenure": ((r.groupby("user_id")["timestamp"].max() - first) / DAY).reindex(first.index).to_numpy(),
    }).reset_index(drop=True)
    seq = np.zeros((len(users), max_len, 3), np.float32)
    pos = {u: i for i, u in enumerate(users["user_id"])}
    for u, part in before.groupby("user_id"):
        t = part["timestamp"].to_numpy()[-max_len:]
        rt = part["rating"].to_numpy()[-max_len:]
        gap = np.log1p(np.diff(t, prepend=t[0]) / 3600.0)
        i = pos[u]
        seq[i, max_len - len(t):] = np.column_stack([rt / 5.0, gap, np.ones(len(t))])
    return MovieLensChurn(users=users, sequences=seq,
                          params=dict(landmark_days=landmark_days, window_days=window_days, end=int(end)))
