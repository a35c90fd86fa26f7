"""Series to model inputs: daily counts, sliding windows, and the scaler fitted on training data only."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

__all__ = ["SeriesScaler", "Windows", "daily_counts", "make_windows"]


def daily_counts(events: pd.DataFrame, *, timestamp: str = "timestamp", unit: str = "s") -> pd.Series:
    """Events per calendar day (UTC), days without events included as 0.

    ``events[timestamp]`` is Unix time in ``unit`` (or already datetime). The index runs from
    the first to the last day with an event, so gaps show up as zeros instead of vanishing.
    """
    if not isinstance(events, pd.DataFrame):
        raise ValueError(f"events must be a DataFrame, got {type(events).__name__}")
    if timestamp not in events.columns:
        raise ValueError(f"events has no column {timestamp!r}; it has {list(events.columns)}")
    if len(events) == 0:
        raise ValueError("events is empty")
    ts = events[timestamp]
    day = (ts if pd.api.types.is_datetime64_any_dtype(ts) else pd.to_datetime(ts, unit=unit)).dt.floor("D")
    counts = day.value_counts().sort_index()
    full = pd.date_range(counts.index[0], counts.index[-1], freq="D", name="date")
    return counts.reindex(full, fill_value=0).astype("int64").rename("count")


class Windows(NamedTuple):
    """Sliding windows of a series. ``past`` (n, lookback, n_features): the target series (and
    covariates) over the ``lookback`` steps before each window's first target; ``extra`` (n, k):
    information known at the origin about the target days (the phase of the first target day,
    one-hot, and the covariates over the horizon); ``target`` (n, horizon); ``t`` (n,): index of
    each window's first target step."""

    past: np.ndarray
    extra: np.ndarray
    target: np.ndarray
    t: np.ndarray


def make_windows(y, lookback: int, horizon: int, *, exog=None, period: int | None = None,
                 first: int | None = None, last: int | None = None) -> Windows:
    """Every window whose inputs ``y[t-lookback:t]`` and targets ``y[t:t+horizon]`` lie inside ``y``.

    ``first`` / ``last`` restrict the first target index ``t`` to ``first <= t <= last``.
    ``exog`` (len(y), k): covariates known in advance, added to ``past`` and (over the
    horizon) to ``extra``. ``period``: add the one-hot phase ``t mod period`` to ``extra``
    (the phase counts from the start of ``y``, so histories must start at the same day).
    """
    y = np.asarray(y, dtype=float)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D, got shape {y.shape}")
    if lookback < 1 or horizon < 1:
        raise ValueError("lookback and horizon must be >= 1")
    lo = lookback if first is None else max(lookback, first)
    hi = len(y) - horizon if last is None else min(len(y) - horizon, last)
    if hi < lo:
        raise ValueError(f"no window fits: series of length {len(y)}, lookback {lookback}, horizon {horizon}"
                         + ("" if first is None and last is None else f", first target in [{first}, {last}]"))
    t = np.arange(lo, hi + 1)
    steps = np.arange(-lookback, 0)
    past = y[t[:, None] + steps][..., None]
    target = y[t[:, None] + np.arange(horizon)]
    extra = [np.zeros((len(t), 0))]
    if period:
        extra.append(np.eye(period)[t % period])
    if exog is not None:
        x = np.asarray(exog, dtype=float).reshape(len(y), -1)
        past = np.concatenate([past, x[t[:, None] + steps]], axis=2)
        extra.append(x[t[:, None] + np.arange(horizon)].reshape(len(t), -1))
    return Windows(past, np.concatenate(extra, axis=1), target, t)


class SeriesScaler:
    """``z = (f(y) - mean) / std`` with ``f = log1p`` (``log=True``) or the identity.

    Fit it on training data only: the mean and standard deviation of the future are
    information a forecaster does not have.
    """

    def __init__(self, log: bool = True):
        self.log = log
        self.mean_ = None
        self.std_ = None

    def _f(self, y):
        y = np.asarray(y, dtype=float)
        if self.log:
            if (y < 0).any():
                raise ValueError("log1p scaling needs non-negative values")
            return np.log1p(y)
        return y

    def fit(self, y) -> "SeriesScaler":
        f = self._f(y)
        if f.size < 2:
            raise ValueError("need at least 2 values to fit a scaler")
        self.mean_ = f.mean(axis=0)
        self.std_ = np.maximum(f.std(axis=0), 1e-8)
        return self

    def transform(self, y) -> np.ndarray:
        if self.mean_ is None:
            raise RuntimeError("fit the scaler first")
        return (self._f(y) - self.mean_) / self.std_

    def inverse_transform(self, z) -> np.ndarray:
        if self.mean_ is None:
            raise RuntimeError("fit the scaler first")
        f = np.asarray(z, dtype=float) * self.std_ + self.mean_
        return np.expm1(f) if self.log else f
