"""Discrete-time survival analysis (生存分析) for churn (用户流失), framework-neutral (NumPy, pandas,
scikit-survival).

Conventions. Time is counted in whole periods (weeks) after a landmark (the cutoff at which the
features stop). A subject's **duration** ``T`` is the period in which the event (churn) happens,
``T ∈ {1, 2, ...}``: alive through periods ``1..T-1``, churned in period ``T``. A censored (删失)
subject has ``event = 0`` and was last seen alive at the end of period ``T``. The **hazard**
(风险函数) of period ``k`` is ``h_k = P(T = k | T >= k)`` and the survival function is
``S(k) = P(T > k) = prod_{j <= k} (1 - h_j)``.

* :func:`check_survival`: the one argument check (negative durations, non-integer periods, an
  event flag that is not 0/1 get a clear ``ValueError``);
* :func:`person_period`: the long format of discrete-time survival, one row per subject and
  period at risk (Singer & Willett 1993); :func:`hazard_targets` is the same information as two
  ``(n, K)`` arrays (target, at-risk mask), which the recurrent hazard models train on;
* :func:`hazard_to_survival`, :func:`survival_to_hazard`;
* :func:`concordance` (scikit-survival's Harrell C: the score is a **risk**, higher = earlier event)
  and :func:`harrell_c_lifelines` (written out, with lifelines' convention: the score is a
  **predicted time**, higher = later event); :func:`integrated_brier` and :func:`brier_at`
  (scikit-survival, inverse-probability-of-censoring weights from the training data);
  :func:`calibration_at` (predicted ``S(h)`` against Kaplan–Meier within groups);
* :func:`survival_bootstrap`: :func:`companion.evaluation.paired_bootstrap` over subjects for
  survival metrics.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "brier_at", "calibration_at", "check_survival", "concordance", "harrell_c_lifelines", "hazard_targets",
    "hazard_to_survival", "integrated_brier", "person_period", "structured", "survival_bootstrap",
    "survival_to_hazard",
]


def check_survival(durations, events, *, integer: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """``(durations, events)`` as arrays (int64 periods, bool), or a ``ValueError`` naming what is wrong."""
    d = np.asarray(durations)
    e = np.asarray(events)
    if d.ndim != 1 or e.ndim != 1:
        raise ValueError(f"durations and events must be 1-d, got shapes {d.shape} and {e.shape}")
    if len(d) != len(e):
        raise ValueError(f"durations has {len(d)} rows, events has {len(e)}")
    if len(d) == 0:
        raise ValueError("no subjects: durations is empty")
    if not np.issubdtype(d.dtype, np.number) or np.isnan(d.astype(float)).any():
        raise ValueError("durations must be numbers without NaN")
    if (d < 0).any():
        raise ValueError(f"durations must be >= 0; {(d < 0).sum()} are negative (first: {d[d < 0][0]})")
    if integer:
        if (d != np.round(d)).any():
            raise ValueError("durations must be whole periods (1, 2, ...) in discrete time")
        if (d < 1).any():
            raise ValueError("durations are periods >= 1 in discrete time (period 1 is the first after the landmark)")
    if e.dtype != bool:
        ev = np.asarray(e, dtype=float) if np.issubdtype(e.dtype, np.number) else None
        if ev is None or np.isnan(ev).any() or not np.isin(ev, (0.0, 1.0)).all():
            bad = np.unique(e[~np.isin(e, (0, 1))])[:5] if ev is not None else e[:5]
            raise ValueError(f"the event flag must be 0/1 (or bool), got values {bad.tolist()}")
        e = ev.astype(bool)
    return (d.astype(np.int64) if integer else d.astype(float)), e


def structured(durations, events) -> np.ndarray:
    """scikit-survival's structured array (``event`` bool, ``time`` float)."""
    from sksurv.util import Surv

    d, e = check_survival(durations, events, integer=False)
    return Surv.from_arrays(event=e, time=d)


def person_period(durations, events, n_periods: int | None = None) -> pd.DataFrame:
    """One row per subject and period at risk: ``subject`` (position), ``period`` (1..), ``event``
    (1 only in the period of the event). Durations beyond ``n_periods`` are censored there."""
    d, e = check_survival(durations, events)
    if n_periods is not None:
        e = e & (d <= n_periods)
        d = np.minimum(d, n_periods)
    subject = np.repeat(np.arange(len(d)), d)
    start = np.repeat(np.cumsum(d) - d, d)
    period = np.arange(len(subject)) - start + 1
    event = (period == d[subject]) & e[subject]
    return pd.DataFrame({"subject": subject, "period": period, "event": event.astype(np.int64)})


def hazard_targets(durations, events, n_periods: int) -> tuple[np.ndarray, np.ndarray]:
    """The person-period rows as two ``(n, n_periods)`` float32 arrays: ``target[i, k-1] = 1`` in
    the period of the event, ``mask[i, k-1] = 1`` for every period ``k`` the subject was at risk."""
    if int(n_periods) != n_periods or n_periods < 1:
        raise ValueError(f"n_periods must be an int >= 1, got {n_periods!r}")
    d, e = check_survival(durations, events)
    k = np.arange(1, int(n_periods) + 1)
    mask = (k[None, :] <= d[:, None]).astype(np.float32)
    target = ((k[None, :] == d[:, None]) & e[:, None]).astype(np.float32)
    return target, mask


def hazard_to_survival(hazards) -> np.ndarray:
    """``S(k) = prod_{j <= k} (1 - h_j)`` along the last axis (hazards in [0, 1])."""
    h = np.asarray(hazards, dtype=float)
    if np.isnan(h).any() or (h < 0).any() or (h > 1).any():
        raise ValueError("hazards must be probabilities in [0, 1]")
    return np.cumprod(1.0 - h, axis=-1)


def survival_to_hazard(survival) -> np.ndarray:
    """The inverse of :func:`hazard_to_survival`: ``h_k = 1 - S(k) / S(k-1)`` with ``S(0) = 1``."""
    s = np.asarray(survival, dtype=float)
    prev = np.concatenate([np.ones(s.shape[:-1] + (1,)), s[..., :-1]], axis=-1)
    if (np.diff(np.concatenate([np.ones(s.shape[:-1] + (1,)), s], axis=-1), axis=-1) > 1e-12).any():
        raise ValueError("a survival curve cannot increase")
    return np.where(prev > 0, 1.0 - s / np.where(prev > 0, prev, 1.0), 1.0)


def concordance(durations, events, risk) -> float:
    """Harrell's C with scikit-survival (``concordance_index_censored``): ``risk`` higher = earlier event."""
    from sksurv.metrics import concordance_index_censored

    d, e = check_survival(durations, events, integer=False)
    return float(concordance_index_censored(e, d, np.asarray(risk, dtype=float))[0])


def harrell_c_lifelines(durations, predicted_times, events) -> float:
    """Harrell's C written out, in **lifelines'** argument order and convention
    (``lifelines.utils.concordance_index(event_times, predicted_scores, event_observed)``: a higher
    score means a *later* event). Comparable pairs as in both libraries: ``i`` had the event and
    ``j`` lasted longer (or was censored at the same time); a tie in the scores counts one half."""
    d, e = check_survival(durations, events, integer=False)
    p = np.asarray(predicted_times, dtype=float)
    if p.shape != d.shape:
        raise ValueError(f"predicted_times has shape {p.shape}, durations {d.shape}")
    num = den = 0.0
    for i in np.flatnonzero(e):
        comparable = (d > d[i]) | ((d == d[i]) & ~e)
        den += comparable.sum()
        num += (p[comparable] > p[i]).sum() + 0.5 * (p[comparable] == p[i]).sum()
    if den == 0:
        raise ValueError("no comparable pairs")
    return float(num / den)


def _times_survival(survival, times):
    s = np.asarray(survival, dtype=float)
    times = np.asarray(times)
    if s.ndim != 2 or s.shape[1] < times.max():
        raise ValueError(f"survival must be (n, K) with K >= {times.max()} (column k-1 = S(k)), got {s.shape}")
    return s[:, times - 1]


def integrated_brier(train, test, survival, times) -> float:
    """scikit-survival's integrated Brier score of ``survival`` (``(n, K)``, column ``k-1`` = S(k))
    over the integer ``times``; ``train``/``test`` are ``(durations, events)``; the censoring
    weights (IPCW) come from the training data's censoring distribution."""
    from sksurv.metrics import integrated_brier_score

    times = np.asarray(times)
    return float(integrated_brier_score(structured(*train), structured(*test),
                                        _times_survival(survival, times), times.astype(float)))


def brier_at(train, test, survival, times) -> np.ndarray:
    """scikit-survival's IPCW Brier score at each integer time (as :func:`integrated_brier`)."""
    from sksurv.metrics import brier_score

    times = np.asarray(times)
    return brier_score(structured(*train), structured(*test), _times_survival(survival, times),
                       times.astype(float))[1]


def calibration_at(survival_at_h, durations, events, horizon: int, *, n_groups: int = 5) -> pd.DataFrame:
    """Predicted ``S(horizon)`` against the Kaplan–Meier ``S(horizon)`` of the subjects in each of
    ``n_groups`` groups of predicted survival (quantiles): the calibration (校准) of a survival model
    at a horizon, with censoring handled by the Kaplan–Meier estimate within each group."""
    from sksurv.nonparametric import kaplan_meier_estimator

    d, e = check_survival(durations, events)
    s = np.asarray(survival_at_h, dtype=float)
    if s.shape != d.shape:
        raise ValueError(f"survival_at_h has shape {s.shape}, durations {d.shape}")
    order = np.argsort(s, kind="stable")
    rows = []
    for g, idx in enumerate(np.array_split(order, n_groups)):
        t, km = kaplan_meier_estimator(e[idx], d[idx].astype(float))
        at = km[t <= horizon][-1] if (t <= horizon).any() else 1.0
        rows.append({"group": g + 1, "n": len(idx), "predicted S": s[idx].mean(), "Kaplan-Meier S": float(at)})
    return pd.DataFrame(rows).set_index("group")


def survival_bootstrap(metric, n: int, predictions: dict, *, n_boot: int = 200, seed: int = 0):
    """:func:`companion.evaluation.paired_bootstrap` over ``n`` test subjects for a survival metric:
    ``metric(idx, prediction_rows)`` gets the resampled subjects' positions and the same rows of a
    model's prediction (a risk vector or an ``(n, K)`` survival matrix)."""
    from .evaluation import paired_bootstrap

    return paired_bootstrap(metric, np.arange(n), predictions, n_boot=n_boot, seed=seed)
