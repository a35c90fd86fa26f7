"""Rolling-origin ("walk-forward") evaluation and its scores."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..metrics import interval_score, mae, rmse, seasonal_naive_scale, smape
from .forecasters import Forecaster

__all__ = ["WalkForwardResult", "combine", "interval_coverage", "interval_table", "results_table", "walk_forward"]


@dataclass
class WalkForwardResult:
    """Forecasts of one method at every origin of a rolling-origin evaluation.

    ``forecasts``, ``actuals``, ``lower``, ``upper``: (n_origins, h). ``scale``: MASE's
    denominator, the in-sample MAE of the seasonal naive forecast on the data before the
    *first* origin (one scale for the whole evaluation: aggregate the errors, then divide).
    """

    name: str
    origins: np.ndarray
    forecasts: np.ndarray
    actuals: np.ndarray
    scale: float
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None
    alpha: float | None = None
    fit_seconds: float = 0.0
    predict_seconds: float = 0.0
    n_fits: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def h(self) -> int:
        return self.forecasts.shape[1]

    @property
    def errors(self) -> np.ndarray:
        return self.actuals - self.forecasts

    def metrics(self) -> dict:
        """MAE, RMSE, sMAPE (%) and MASE over all origins and horizons."""
        a, f = self.actuals, self.forecasts
        return {"MAE": float(mae(a, f)), "RMSE": float(rmse(a, f)), "sMAPE": float(smape(a, f)),
                "MASE": float(mae(a, f) / self.scale)}

    def per_horizon(self) -> pd.DataFrame:
        """The same metrics for each horizon step 1..h (rows)."""
        a, f = self.actuals, self.forecasts
        return pd.DataFrame({"MAE": mae(a, f, axis=0), "RMSE": rmse(a, f, axis=0), "sMAPE": smape(a, f, axis=0),
                             "MASE": mae(a, f, axis=0) / self.scale},
                            index=pd.RangeIndex(1, self.h + 1, name="horizon"))


def walk_forward(forecaster: Forecaster, y, origins, h: int = 7, *, refit_every: int = 7, exog=None,
                 alpha: float | None = None, m: int = 7, name: str | None = None,
                 progress: bool = False) -> WalkForwardResult:
    """Rolling-origin evaluation without peeking.

    At origin ``o`` (the index of the first forecast day) the forecaster receives a read-only
    copy of ``y[:o]`` only: parameters are re-estimated (``fit``) at the first origin and then
    every ``refit_every`` origins; in between ``update`` conditions on the newer data with the
    parameters kept (for ARIMA: the Kalman filter run over the longer history). ``exog``
    (covariates known in advance, e.g. planned promotions) is passed up to ``o`` for fitting
    and ``[o, o+h)`` for forecasting. ``alpha``: also collect central ``1 - alpha`` intervals.
    """
    y = np.asarray(y, dtype=float)
    origins = np.asarray(origins, dtype=int)
    if origins.ndim != 1 or len(origins) == 0:
        raise ValueError("origins must be a non-empty 1-D sequence of indices")
    if (np.diff(origins) <= 0).any():
        raise ValueError("origins must be increasing")
    if origins[0] <= m or origins[-1] + h > len(y):
        raise ValueError(f"origins must lie in ({m}, {len(y) - h}] so that every target is observed")
    if refit_every < 1:
        raise ValueError("refit_every must be >= 1")
    x = None if exog is None else np.asarray(exog, dtype=float).reshape(len(y), -1)
    n = len(origins)
    fc, lo, hi = np.empty((n, h)), np.full((n, h), np.nan), np.full((n, h), np.nan)
    fit_s = pred_s = 0.0
    n_fits = 0
    from tqdm import tqdm  # not tqdm.auto: it warns on stderr in Jupyter without ipywidgets

    for i, o in enumerate(tqdm(origins, disable=not progress, leave=False, desc=name or getattr(forecaster, "name", ""))):
        hist = y[:o].copy()
        hist.setflags(write=False)
        xh = None if x is None else x[:o].copy()
        xf = None if x is None else x[o:o + h].copy()
        start = time.perf_counter()
        if i % refit_every == 0:
            forecaster.fit(hist, xh)
            n_fits += 1
        else:
            forecaster.update(hist, xh)
        mid = time.perf_counter()
        fc[i] = forecaster.predict(h, xf)
        if alpha is not None:
            iv = forecaster.interval(h, alpha, xf)
            if iv is not None:
                lo[i], hi[i] = iv
        end = time.perf_counter()
        fit_s += mid - start
        pred_s += end - mid
    actual = y[origins[:, None] + np.arange(h)]
    has_iv = alpha is not None and np.isfinite(lo).all()
    return WalkForwardResult(
        name=name or getattr(forecaster, "name", type(forecaster).__name__), origins=origins, forecasts=fc,
        actuals=actual, scale=seasonal_naive_scale(y[:origins[0]], m), lower=lo if has_iv else None,
        upper=hi if has_iv else None, alpha=alpha if has_iv else None, fit_seconds=fit_s,
        predict_seconds=pred_s, n_fits=n_fits)


def combine(results, name: str = "combination") -> WalkForwardResult:
    """Equal-weight combination: the mean of several methods' forecasts at the same origins."""
    results = list(results)
    if len(results) < 2:
        raise ValueError("combine needs at least two results")
    first = results[0]
    for r in results[1:]:
        if not (np.array_equal(r.origins, first.origins) and r.forecasts.shape == first.forecasts.shape):
            raise ValueError(f"{r.name!r} was evaluated at other origins or horizons than {first.name!r}")
    return WalkForwardResult(
        name=name, origins=first.origins, forecasts=np.mean([r.forecasts for r in results], axis=0),
        actuals=first.actuals, scale=first.scale, fit_seconds=sum(r.fit_seconds for r in results),
        predict_seconds=sum(r.predict_seconds for r in results), n_fits=sum(r.n_fits for r in results))


def results_table(results, *, reference: str | None = None) -> pd.DataFrame:
    """One row per method: MAE, RMSE, sMAPE, MASE (and ``rel. MAE``, the ratio of total MAEs
    to the ``reference`` method's, when given), plus fit and forecast seconds."""
    rows = {}
    for r in results:
        rows[r.name] = {**r.metrics(), "fit s": r.fit_seconds, "forecast s": r.predict_seconds}
    table = pd.DataFrame(rows).T
    if reference is not None:
        table.insert(4, "rel. MAE", table["MAE"] / table.loc[reference, "MAE"])
    return table


def interval_coverage(result: WalkForwardResult) -> float:
    """Share of actual values inside the prediction interval (nominal: ``1 - alpha``)."""
    if result.lower is None:
        raise ValueError(f"{result.name!r} has no prediction intervals")
    a = result.actuals
    return float(np.mean((a >= result.lower) & (a <= result.upper)))


def interval_table(results) -> pd.DataFrame:
    """One row per method with intervals: coverage (nominal ``1 - alpha``), mean width, the mean
    interval (Winkler) score and MSIS (that score over MASE's scale, as in M4). Coverage alone
    rewards wide intervals; the score charges width and, at ``2/alpha`` per unit, every miss."""
    rows = {}
    for r in results:
        if r.lower is None:
            raise ValueError(f"{r.name!r} has no prediction intervals")
        score = float(interval_score(r.actuals, r.lower, r.upper, r.alpha))
        rows[r.name] = {"nominal": 1 - r.alpha, "coverage": interval_coverage(r),
                        "width": float(np.mean(r.upper - r.lower)), "interval score": score,
                        "MSIS": score / r.scale}
    return pd.DataFrame(rows).T
