"""Is one forecaster better than another? The Diebold-Mariano test and a moving-block bootstrap."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["DMResult", "diebold_mariano", "paired_bootstrap"]


class DMResult(NamedTuple):
    statistic: float
    pvalue: float
    mean_diff: float
    n: int


def _loss(e, power):
    e = np.asarray(e, dtype=float)
    return np.abs(e) if power == 1 else e ** 2


def _differential(e1, e2, power):
    """The loss differential of each origin, averaged over its horizons when errors are (n, H)."""
    l1, l2 = _loss(e1, power), _loss(e2, power)
    if l1.shape != l2.shape:
        raise ValueError(f"e1 {l1.shape} and e2 {l2.shape} differ in shape")
    d = l1 - l2
    return d.mean(axis=1) if d.ndim == 2 else d


def diebold_mariano(e1, e2, h: int = 1, *, power: int = 1, hln: bool = True) -> DMResult:
    """Diebold–Mariano test of equal accuracy of two forecasts, two-sided.

    ``e1``, ``e2``: forecast errors at the same origins, shape (n,) or (n, H); with (n, H) the
    loss differential of an origin is the mean over its H horizons. ``power``: 1 (absolute) or
    2 (squared) loss. ``h``: forecasts at consecutive origins overlap, so the differential is
    autocorrelated up to lag ``h - 1`` (long-run variance with a rectangular window; Bartlett
    weights when that is not positive). ``hln``: the Harvey, Leybourne & Newbold (1997)
    small-sample correction with a Student-t(n-1) reference. For ``h = 1`` this equals the
    paired t-test. A negative statistic means method 1 has the smaller loss.
    """
    from scipy import stats

    if power not in (1, 2):
        raise ValueError("power must be 1 or 2")
    d = _differential(e1, e2, power)
    n = len(d)
    if n < 3:
        raise ValueError("need at least 3 origins")
    if h < 1 or h >= n:
        raise ValueError(f"h must be in [1, {n - 1}]")
    dbar = d.mean()
    dc = d - dbar
    gamma = np.array([dc[k:] @ dc[:n - k] / n for k in range(h)])
    var = gamma[0] + 2 * gamma[1:].sum()
    if var <= 0:
        weights = 1 - np.arange(h) / h
        var = gamma[0] + 2 * (weights[1:] * gamma[1:]).sum()
    if var <= 0:
        return DMResult(np.nan, np.nan, float(dbar), n)
    stat = dbar / np.sqrt(var / n)
    if hln:
        stat *= np.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
        p = 2 * stats.t.sf(abs(stat), df=n - 1)
    else:
        p = 2 * stats.norm.sf(abs(stat))
    return DMResult(float(stat), float(p), float(dbar), n)


def paired_bootstrap(e1, e2, *, block: int = 7, n_boot: int = 2000, power: int = 1, level: float = 0.95,
                     seed: int = 0) -> dict:
    """Moving-block bootstrap over origins of the mean loss differential ``loss(e1) - loss(e2)``.

    Blocks of ``block`` consecutive origins keep the overlap between neighbouring forecasts.
    Returns the mean difference, the ``level`` percentile interval, and the share of
    bootstrap means on the other side of zero (doubled: a two-sided p-value).
    """
    d = _differential(e1, e2, power)
    n = len(d)
    if not 1 <= block <= n:
        raise ValueError(f"block must be in [1, {n}]")
    rng = np.random.default_rng(seed)
    n_blocks = int(np.ceil(n / block))
    starts = rng.integers(0, n - block + 1, size=(n_boot, n_blocks))
    idx = (starts[:, :, None] + np.arange(block)).reshape(n_boot, -1)[:, :n]
    means = d[idx].mean(axis=1)
    tail = (1 - level) / 2
    lo, hi = np.quantile(means, [tail, 1 - tail])
    dbar = d.mean()
    p = 2 * min(np.mean(means <= 0), np.mean(means >= 0)) if dbar != 0 else 1.0
    return {"mean_diff": float(dbar), "low": float(lo), "high": float(hi), "pvalue": float(min(1.0, p))}
