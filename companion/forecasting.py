"""Forecasting daily behavior volume: an honest contest between statistical and neural models.

Framework-neutral (imports neither PyTorch nor TensorFlow). What lives here:

* data helpers: :func:`daily_counts` (an event log to a zero-filled daily series),
  :func:`make_windows` (sliding input/target windows for direct multi-step models),
  :class:`SeriesScaler` (``log1p`` + standardisation, fitted on training data only);
* the :class:`Forecaster` protocol (``fit`` / ``update`` / ``predict`` / ``interval``) and the
  statistical forecasters: :class:`NaiveForecaster`, :class:`SeasonalNaiveForecaster`,
  :class:`SARIMAForecaster` (statsmodels SARIMAX), :class:`UnobservedComponentsForecaster`
  (statsmodels structural model), :class:`KnownMeanForecaster` (the oracle of a synthetic series);
* :func:`select_sarima_order`: a small AIC search on the training window only;
* :func:`walk_forward`: the rolling-origin evaluation driver. At each origin ``o`` the
  forecaster sees ``y[:o]`` and nothing later (covariates that are known in advance, such as
  planned promotions, are the one exception: their values up to ``o + h`` are passed);
* scoring: :class:`WalkForwardResult` (per-horizon and overall MAE, RMSE, sMAPE, MASE),
  :func:`combine` (equal-weight forecast combination), :func:`interval_coverage`,
  :func:`diebold_mariano` (with the Harvey–Leybourne–Newbold correction) and
  :func:`paired_bootstrap` (moving-block bootstrap over origins);
* :class:`WindowedNeuralForecaster`: the framework-neutral half of the LSTM forecasters
  (transform, scaling, windows, validation split); :mod:`companion.torch.forecast` and
  :mod:`companion.keras.forecast` add the network.
"""
from __future__ import annotations

import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from .baselines import naive, seasonal_naive
from .metrics import mae, rmse, seasonal_naive_scale, smape

__all__ = [
    "DMResult",
    "Forecaster",
    "KnownMeanForecaster",
    "NaiveForecaster",
    "SARIMAForecaster",
    "SeasonalNaiveForecaster",
    "SeriesScaler",
    "UnobservedComponentsForecaster",
    "WalkForwardResult",
    "Windows",
    "WindowedNeuralForecaster",
    "combine",
    "daily_counts",
    "diebold_mariano",
    "interval_coverage",
    "ljung_box",
    "make_windows",
    "paired_bootstrap",
    "results_table",
    "select_sarima_order",
    "state_space_matrices",
    "walk_forward",
]


# ---------------------------------------------------------------- data


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


@contextmanager
def _quiet_single_thread():
    """statsmodels fits: one BLAS thread (much faster for small matrices on a busy machine) and
    no convergence warnings on stderr (convergence is checked by the caller where it matters)."""
    # statsmodels adds "always" filters for its warnings when first imported: import it before
    # entering catch_warnings, or those filters would sit in front of the "ignore" below.
    import statsmodels.tsa.statespace.sarimax  # noqa: F401
    import statsmodels.tsa.statespace.structural  # noqa: F401

    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        limits = None
    else:
        limits = threadpool_limits(1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        if limits is not None:
            limits.restore_original_limits()


# ---------------------------------------------------------------- forecasters


class Forecaster:
    """The protocol :func:`walk_forward` drives.

    ``fit(y, exog)`` estimates parameters from the history ``y`` (all data up to the origin);
    ``update(y, exog)`` conditions on a longer history without re-estimating (default: refit);
    ``predict(h, exog_future)`` returns the ``h`` point forecasts after the end of the history;
    ``interval(h, alpha, exog_future)`` returns ``(lower, upper)`` of the central
    ``1 - alpha`` prediction interval, or ``None`` when the method has none.
    """

    name = "forecaster"

    def fit(self, y, exog=None) -> "Forecaster":  # pragma: no cover - interface
        raise NotImplementedError

    def update(self, y, exog=None) -> "Forecaster":
        return self.fit(y, exog)

    def predict(self, h: int, exog_future=None) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def interval(self, h: int, alpha: float = 0.2, exog_future=None):
        return None


class NaiveForecaster(Forecaster):
    """The last value, repeated."""

    name = "naive"

    def fit(self, y, exog=None):
        self.y_ = np.asarray(y, dtype=float)
        return self

    update = fit

    def predict(self, h, exog_future=None):
        return naive(self.y_, h)


class SeasonalNaiveForecaster(NaiveForecaster):
    """The last season (``m`` days), repeated."""

    name = "seasonal naive"

    def __init__(self, m: int = 7):
        self.m = m

    def predict(self, h, exog_future=None):
        return seasonal_naive(self.y_, h, self.m)


class KnownMeanForecaster(NaiveForecaster):
    """The oracle of a synthetic series: it forecasts the known mean ``mean[o:o+h]``.

    It reads no data after the origin, only the generator's expectation; its error is the
    best a forecaster of the mean can achieve (the noise that no model can predict).
    """

    name = "true mean (oracle)"

    def __init__(self, mean):
        self.mean = np.asarray(mean, dtype=float)

    def predict(self, h, exog_future=None):
        o = len(self.y_)
        return self.mean[o:o + h].copy()


class _StatsmodelsForecaster(Forecaster):
    """Shared code of the statsmodels forecasters: ``log1p`` transform, fit, filter, forecast."""

    log = True

    def _z(self, y):
        y = np.asarray(y, dtype=float)
        return np.log1p(y) if self.log else y

    def _back(self, z):
        return np.expm1(z) if self.log else z

    def _model(self, z, exog):  # pragma: no cover - interface
        raise NotImplementedError

    def fit(self, y, exog=None):
        with _quiet_single_thread():
            self.result_ = self._model(self._z(y), exog).fit(disp=False, **self.fit_kwargs)
        return self

    def update(self, y, exog=None):
        """Keep the estimated parameters; run the Kalman filter over the longer history."""
        if not hasattr(self, "result_"):
            return self.fit(y, exog)
        with _quiet_single_thread():
            self.result_ = self.result_.apply(self._z(y), exog=exog)
        return self

    def _forecast(self, h, exog_future):
        with _quiet_single_thread():
            return self.result_.get_forecast(h, exog=exog_future)

    def predict(self, h, exog_future=None):
        """Point forecast. On the log scale the mean forecast back-transformed is the *median*
        of the forecast distribution, which is what MAE rewards."""
        return self._back(np.asarray(self._forecast(h, exog_future).predicted_mean))

    def interval(self, h, alpha=0.2, exog_future=None):
        ci = np.asarray(self._forecast(h, exog_future).conf_int(alpha=alpha))
        return self._back(ci[:, 0]), self._back(ci[:, 1])


class SARIMAForecaster(_StatsmodelsForecaster):
    """Seasonal ARIMA(p,d,q)(P,D,Q)_m on ``log1p(y)`` by maximum likelihood (statsmodels SARIMAX,
    a state-space model evaluated by the Kalman filter), optionally with regression on ``exog``."""

    def __init__(self, order=(1, 1, 1), seasonal_order=(0, 0, 0, 0), *, trend=None, log: bool = True,
                 name: str | None = None, **fit_kwargs):
        self.order, self.seasonal_order, self.trend, self.log = tuple(order), tuple(seasonal_order), trend, log
        self.fit_kwargs = fit_kwargs
        self.name = name or f"SARIMA{self.order}{self.seasonal_order[:3]}{self.seasonal_order[3]}"

    def _model(self, z, exog):
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        return SARIMAX(z, exog=exog, order=self.order, seasonal_order=self.seasonal_order, trend=self.trend)


class UnobservedComponentsForecaster(_StatsmodelsForecaster):
    """A structural time-series model on ``log1p(y)``: level (+ trend) + seasonal + noise
    (statsmodels ``UnobservedComponents``), optionally with regression on ``exog``."""

    def __init__(self, level: str = "local linear trend", seasonal: int | None = 7, *, log: bool = True,
                 name: str | None = None, **fit_kwargs):
        self.level, self.seasonal, self.log = level, seasonal, log
        self.fit_kwargs = fit_kwargs
        self.name = name or "state space (UC)"

    def _model(self, z, exog):
        from statsmodels.tsa.statespace.structural import UnobservedComponents

        return UnobservedComponents(z, level=self.level, seasonal=self.seasonal, exog=exog)

    def components(self, index=None, smoothed: bool = False) -> pd.DataFrame:
        """The Kalman-filtered (or smoothed) level, trend and seasonal state on the log scale."""
        res = self.result_
        kind = "smoothed" if smoothed else "filtered"
        cols = {}
        for comp in ("level", "trend", "seasonal"):
            part = getattr(res, comp, None)
            if part is not None and part.get(kind) is not None:
                cols[comp] = np.asarray(part[kind])
        return pd.DataFrame(cols, index=index)


def state_space_matrices(result) -> dict:
    """The system matrices of a fitted statsmodels state-space model, at the estimated parameters:
    ``y_t = Z α_t + ε_t, ε ~ N(0, H)``; ``α_{t+1} = T α_t + R η_t, η ~ N(0, Q)``."""
    ssm = result.model.ssm
    names = {"Z (design)": "design", "T (transition)": "transition", "R (selection)": "selection",
             "H (obs_cov)": "obs_cov", "Q (state_cov)": "state_cov"}
    with _quiet_single_thread():
        result.model.update(result.params)
    return {k: np.asarray(ssm[v])[..., 0] if np.asarray(ssm[v]).ndim == 3 else np.asarray(ssm[v])
            for k, v in names.items()}


def select_sarima_order(y, *, d: int = 1, D: int = 0, m: int = 7, p=(0, 1, 2), q=(0, 1, 2), P=(0, 1), Q=(0, 1),
                        exog=None, log: bool = True, trend=None) -> pd.DataFrame:
    """Fit every SARIMA(p,d,q)(P,D,Q)_m on ``y`` (the training window only) and sort by AIC.

    ``d`` and ``D`` are fixed, not searched: differencing changes the data the likelihood is
    computed on, so AICs of models with different ``d`` or ``D`` are not comparable.
    Returns a DataFrame (order, seasonal_order, aic, seconds), best first.
    """
    z = np.log1p(np.asarray(y, dtype=float)) if log else np.asarray(y, dtype=float)
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    rows = []
    for pi in p:
        for qi in q:
            for Pi in P:
                for Qi in Q:
                    order, sorder = (pi, d, qi), (Pi, D, Qi, m if (Pi or D or Qi) else 0)
                    start = time.perf_counter()
                    with _quiet_single_thread():
                        try:
                            res = SARIMAX(z, exog=exog, order=order, seasonal_order=sorder, trend=trend).fit(disp=False)
                            aic = float(res.aic)
                        except (np.linalg.LinAlgError, ValueError):
                            aic = np.inf
                    rows.append({"order": order, "seasonal_order": sorder, "aic": aic,
                                 "seconds": time.perf_counter() - start})
    return pd.DataFrame(rows).sort_values("aic", kind="stable").reset_index(drop=True)


def ljung_box(residuals, lags=(7, 14)) -> pd.DataFrame:
    """Ljung–Box test of no autocorrelation in the residuals (statsmodels), one row per lag."""
    from statsmodels.stats.diagnostic import acorr_ljungbox

    r = np.asarray(residuals, dtype=float)
    with _quiet_single_thread():
        out = acorr_ljungbox(r[np.isfinite(r)], lags=list(lags))
    return out.rename(columns={"lb_stat": "Q", "lb_pvalue": "p-value"})


# ---------------------------------------------------------------- neural (framework-neutral part)


class WindowedNeuralForecaster(Forecaster):
    """Direct multi-step neural forecaster: the framework-neutral part.

    ``fit(y)`` transforms ``log1p`` and standardises with statistics of the *training part*
    only (the last ``n_val`` days of the history are held out for early stopping and are not
    used by the scaler), builds windows (``lookback`` days in, ``horizon`` days out; the phase
    of the week and known covariates as extra inputs), trains, and keeps the best epoch.
    ``update(y)`` only stores the longer history (the weights stay; the next forecast reads
    the latest ``lookback`` days). Subclasses implement ``_train`` and ``_predict``.
    """

    name = "LSTM"

    def __init__(self, lookback: int = 28, horizon: int = 7, hidden: int = 32, *, epochs: int = 60,
                 patience: int = 8, lr: float = 3e-3, batch_size: int = 32, n_val: int = 14, period: int = 7,
                 log: bool = True, seed: int = 0, name: str | None = None):
        if n_val < horizon:
            raise ValueError(f"n_val ({n_val}) must be >= horizon ({horizon}) to hold out whole targets")
        self.lookback, self.horizon, self.hidden = lookback, horizon, hidden
        self.epochs, self.patience, self.lr, self.batch_size = epochs, patience, lr, batch_size
        self.n_val, self.period, self.log, self.seed = n_val, period, log, seed
        if name:
            self.name = name
        self.histories = []

    # the framework part
    def _train(self, train: Windows, valid: Windows):  # pragma: no cover - interface
        raise NotImplementedError

    def _predict(self, past: np.ndarray, extra: np.ndarray) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def _scaled(self, y, exog):
        z = self.scaler_.transform(y)
        x = None if exog is None else self.exog_scaler_.transform(np.asarray(exog, dtype=float).reshape(len(z), -1))
        return z, x

    def fit(self, y, exog=None):
        y = np.asarray(y, dtype=float)
        split = len(y) - self.n_val  # the first target day of the validation part
        self.scaler_ = SeriesScaler(self.log).fit(y[:split])
        if exog is not None:
            self.exog_scaler_ = SeriesScaler(log=False).fit(np.asarray(exog, dtype=float).reshape(len(y), -1)[:split])
        z, x = self._scaled(y, exog)
        train = make_windows(z, self.lookback, self.horizon, exog=x, period=self.period, last=split - self.horizon)
        valid = make_windows(z, self.lookback, self.horizon, exog=x, period=self.period, first=split)
        self.histories.append(self._train(train, valid))
        self.y_, self.exog_ = y, exog
        return self

    def update(self, y, exog=None):
        if not hasattr(self, "scaler_"):
            return self.fit(y, exog)
        self.y_, self.exog_ = np.asarray(y, dtype=float), exog
        return self

    def _last_window(self, exog_future=None) -> Windows:
        y, exog = self.y_, self.exog_
        if exog is not None:
            if exog_future is None:
                raise ValueError("this forecaster was fitted with exog: pass exog_future")
            xf = np.asarray(exog_future, dtype=float).reshape(-1, np.asarray(exog).reshape(len(y), -1).shape[1])
            if len(xf) < self.horizon:
                raise ValueError(f"exog_future needs {self.horizon} rows, got {len(xf)}")
            exog = np.concatenate([np.asarray(exog, dtype=float).reshape(len(y), -1), xf[:self.horizon]])
        padded = np.concatenate([y, np.zeros(self.horizon)])  # targets unknown: placeholders, never read
        z, x = self._scaled(padded, exog)
        return make_windows(z, self.lookback, self.horizon, exog=x, period=self.period, first=len(y))

    def predict(self, h, exog_future=None):
        if h > self.horizon:
            raise ValueError(f"direct multi-step model: h must be <= horizon={self.horizon}, got {h}")
        w = self._last_window(exog_future)
        z = np.asarray(self._predict(w.past.astype(np.float32), w.extra.astype(np.float32)), dtype=float)
        return self.scaler_.inverse_transform(z[0, :h])


# ---------------------------------------------------------------- walk-forward evaluation


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


# ---------------------------------------------------------------- comparing two methods


class DMResult(NamedTuple):
    statistic: float
    pvalue: float
    mean_diff: float
    n: int


def _loss(e, power):
    e = np.asarray(e, dtype=float)
    return np.abs(e) if power == 1 else e ** 2


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
    l1, l2 = _loss(e1, power), _loss(e2, power)
    if l1.shape != l2.shape:
        raise ValueError(f"e1 {l1.shape} and e2 {l2.shape} differ in shape")
    d = l1 - l2
    if d.ndim == 2:
        d = d.mean(axis=1)
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
    l1, l2 = _loss(e1, power), _loss(e2, power)
    if l1.shape != l2.shape:
        raise ValueError(f"e1 {l1.shape} and e2 {l2.shape} differ in shape")
    d = l1 - l2
    if d.ndim == 2:
        d = d.mean(axis=1)
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
