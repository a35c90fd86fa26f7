"""Behavior features from an event log (the neural-network essentials chapter).

* :func:`next_session_purchase`: per-user behavior features up to a time cutoff, labelled by
  whether the user buys in their first session after the cutoff (a temporal protocol: no feature
  looks past the cutoff).
* :func:`behavior_features`: the features of :data:`FEATURES` of every user at one cutoff.
* :func:`truncation_gaps`: the truncation test of a feature function ``fn(events, cutoff)``: its
  output on the full log must equal its output on ``events[timestamp < cutoff]``.
* :func:`split_users`: train/valid/test by user, so no user is on both sides.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .events import DAY, check_event_log
from .sequences import split_by_user

__all__ = ["FEATURES", "behavior_features", "next_session_purchase", "split_users", "truncation_gaps"]

#: Feature columns made by :func:`next_session_purchase`, in order.
FEATURES = (
    "log_views", "log_carts", "log_buys", "log_returns", "log_sessions",
    "cart_rate", "buy_rate", "buys_per_session", "views_per_session",
    "log_days_since_last", "log_days_since_first", "log_sessions_14d", "log_views_7d",
    "n_categories", "top_category_share", "last_session_carted",
)


def _features_at(past: pd.DataFrame, cutoff: int) -> pd.DataFrame:
    """One row per user present in ``past`` (all events before ``cutoff``)."""
    g = past.groupby("user_id")
    ev = pd.crosstab(past["user_id"], past["event"])
    for e in ("view", "cart", "buy", "return"):
        if e not in ev:
            ev[e] = 0
    out = pd.DataFrame(index=ev.index)
    n_sessions = g["session_id"].nunique()
    views = past[past["event"] == "view"]
    out["log_views"] = np.log1p(ev["view"])
    out["log_carts"] = np.log1p(ev["cart"])
    out["log_buys"] = np.log1p(ev["buy"])
    out["log_returns"] = np.log1p(ev["return"])
    out["log_sessions"] = np.log1p(n_sessions)
    out["cart_rate"] = ev["cart"] / ev["view"].clip(lower=1)
    out["buy_rate"] = ev["buy"] / ev["view"].clip(lower=1)
    out["buys_per_session"] = ev["buy"] / n_sessions
    out["views_per_session"] = ev["view"] / n_sessions
    out["log_days_since_last"] = np.log1p((cutoff - g["timestamp"].max()) / DAY)
    out["log_days_since_first"] = np.log1p((cutoff - g["timestamp"].min()) / DAY)
    recent14 = past[past["timestamp"] >= cutoff - 14 * DAY].groupby("user_id")["session_id"].nunique()
    recent7 = views[views["timestamp"] >= cutoff - 7 * DAY].groupby("user_id").size()
    out["log_sessions_14d"] = np.log1p(recent14.reindex(out.index, fill_value=0))
    out["log_views_7d"] = np.log1p(recent7.reindex(out.index, fill_value=0))
    cat = views.groupby("user_id")["category"]
    out["n_categories"] = cat.nunique().reindex(out.index, fill_value=0)
    top = views.groupby(["user_id", "category"]).size().groupby("user_id").max()
    out["top_category_share"] = (top / views.groupby("user_id").size()).reindex(out.index, fill_value=0.0)
    last_session = g["session_id"].max()
    carted = past[past["event"] == "cart"].groupby("user_id")["session_id"].max()
    out["last_session_carted"] = (carted.reindex(out.index) == last_session).astype(float)
    return out.astype(float)


def behavior_features(events: pd.DataFrame, cutoff) -> pd.DataFrame:
    """The :data:`FEATURES` (columns) of every user (index ``user_id``) with an event strictly
    before ``cutoff`` (Unix seconds), computed from those events only."""
    check_event_log(events, required=("user_id", "item_id", "event", "timestamp", "session_id", "category"))
    cutoff = int(cutoff)
    past = events[events["timestamp"] < cutoff]
    if past.empty:
        raise ValueError(f"no event before the cutoff {cutoff}: there is nothing to compute features from")
    return _features_at(past, cutoff)[list(FEATURES)]


def truncation_gaps(feature_fn, events: pd.DataFrame, cutoffs) -> pd.DataFrame:
    """The truncation test of ``feature_fn(events, cutoff) -> DataFrame`` (one row per user).

    For each cutoff, compares ``feature_fn`` on the full log with ``feature_fn`` on the events
    strictly before the cutoff. Returns one row per cutoff: ``extra_rows`` (users in one output
    and not the other) and, per feature column, the largest absolute difference over the common
    users (a NaN on one side only counts as ``inf``). A feature function that uses nothing after
    the cutoff has zeros everywhere; anything else is leakage from the future.
    """
    check_event_log(events, required=("timestamp",))
    cutoffs = np.atleast_1d(np.asarray(cutoffs, dtype=np.int64))
    if cutoffs.size == 0:
        raise ValueError("give at least one cutoff")
    rows = {}
    for cutoff in cutoffs:
        full = feature_fn(events, int(cutoff))
        cut = feature_fn(events[events["timestamp"] < cutoff], int(cutoff))
        if list(full.columns) != list(cut.columns):
            raise ValueError(f"feature_fn returned columns {list(full.columns)} on the full log and "
                             f"{list(cut.columns)} on the truncated one")
        common = full.index.intersection(cut.index)
        a, b = full.loc[common].to_numpy(float), cut.loc[common].to_numpy(float)
        gap = np.where(np.isnan(a) & np.isnan(b), 0.0, np.abs(a - b))
        gap = np.where(np.isnan(gap), np.inf, gap)
        row = {"extra_rows": int(len(full.index.symmetric_difference(cut.index)))}
        row.update(dict(zip(full.columns, gap.max(axis=0) if len(common) else np.zeros(len(full.columns)))))
        rows[int(cutoff)] = row
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("cutoff")


def next_session_purchase(events: pd.DataFrame, cutoffs=None, *, min_history_days: float = 14) -> pd.DataFrame:
    """Examples for "will the user buy in their next session?".

    For every cutoff time (Unix seconds; default: every 7 days from ``min_history_days`` after the
    first event to 7 days before the last) and every user with at least one event before it and a
    session starting after it: the features of :data:`FEATURES` computed from the events strictly
    before the cutoff, and ``label`` = 1 if that next session contains a ``buy``.

    Sessions are taken from the ``session_id`` column. A session that straddles the cutoff is cut:
    its events before the cutoff count as history, and the next session is the first one *starting*
    after the cutoff. Users without a later session are left out (``attrs["dropped"]`` counts them).
    Returns columns ``user_id``, ``cutoff``, the features and ``label``.
    """
    check_event_log(events, required=("user_id", "item_id", "event", "timestamp", "session_id", "category"))
    ts = events["timestamp"].to_numpy()
    if cutoffs is None:
        cutoffs = np.arange(ts.min() + min_history_days * DAY, ts.max() - 7 * DAY, 7 * DAY)
    cutoffs = np.asarray(cutoffs, dtype=np.int64)
    if cutoffs.size == 0:
        raise ValueError("no cutoff: the log is too short for min_history_days plus one week")
    start = events.groupby("session_id").agg(user_id=("user_id", "first"), start=("timestamp", "min"))
    bought = events[events["event"] == "buy"].groupby("session_id").size()
    start["buy"] = bought.reindex(start.index, fill_value=0).gt(0).astype(int)
    start = start.sort_values(["user_id", "start"])
    frames, dropped = [], 0
    for cutoff in cutoffs:
        past = events[events["timestamp"] < cutoff]
        feats = _features_at(past, int(cutoff))
        nxt = start[start["start"] >= cutoff].groupby("user_id").first()
        label = nxt["buy"].reindex(feats.index)
        dropped += int(label.isna().sum())
        keep = label.notna()
        f = feats[keep].copy()
        f["label"] = label[keep].astype(int)
        f.insert(0, "cutoff", int(cutoff))
        frames.append(f.reset_index())
    out = pd.concat(frames, ignore_index=True)
    out = out[["user_id", "cutoff", *FEATURES, "label"]]
    out.attrs["dropped"] = dropped
    return out


def split_users(df: pd.DataFrame, fractions=(0.6, 0.2, 0.2), seed: int = 0):
    """Split the rows of ``df`` into train/valid/test DataFrames by ``user_id`` (each user on one side only)."""
    masks = split_by_user(df["user_id"].to_numpy(), fractions, seed=seed)
    return tuple(df[masks[part]].reset_index(drop=True) for part in ("train", "valid", "test"))
