"""The :class:`Forecaster` protocol and the forecasters: naive, seasonal naive, the known mean,
SARIMA and the structural (unobserved components) model, the SARIMA order search and the
Ljung-Box check; and :class:`WindowedNeuralForecaster`, the framework-neutral half of the LSTM
forecasters (:mod:`companion.torch.forecast`, :mod:`companion.keras.forecast` add the network)."""
from __future__ import annotations

import time
import warnings
from contextlib import contextmanager

import numpy as np
import pandas as pd

from ..baselines import naive, seasonal_naive
from .windows import SeriesScaler, Windows, make_windows

__all__ = [
    "Forecaster",
    "KnownMeanForecaster",
    "NaiveForecaster",
    "SARIMAForecaster",
    "SeasonalNaiveForecaster",
    "UnobservedComponentsForecaster",
    "WindowedNeuralForecaster",
    "ljung_box",
    "select_sarima_order",
    "state_space_matrices",
]


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


def ljung_box(residuals, lags=(7, 14), *, model_df: int = 0) -> pd.DataFrame:
    """Ljung–Box test of no autocorrelation in the residuals (statsmodels), one row per lag.

    ``model_df``: the number of estimated ARMA coefficients (``p + q + P + Q`` for SARIMA), which
    the reference chi-squared distribution loses as degrees of freedom (``lag - model_df``);
    without it the p-values of a fitted model's residuals are too high. Every lag must exceed it."""
    from statsmodels.stats.diagnostic import acorr_ljungbox

    if model_df < 0 or any(lag <= model_df for lag in lags):
        raise ValueError(f"every lag must exceed model_df={model_df}, got lags {list(lags)}")
    r = np.asarray(residuals, dtype=float)
    with _quiet_single_thread():
        out = acorr_ljungbox(r[np.isfinite(r)], lags=list(lags), model_df=model_df)
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
                 log: bool = True, seed: int = 0, name: str | None = None, device=None):
        if n_val < horizon:
            raise ValueError(f"n_val ({n_val}) must be >= horizon ({horizon}) to hold out whole targets")
        self.lookback, self.horizon, self.hidden = lookback, horizon, hidden
        self.epochs, self.patience, self.lr, self.batch_size = epochs, patience, lr, batch_size
        self.n_val, self.period, self.log, self.seed = n_val, period, log, seed
        self.device = device  # where the framework trains (PyTorch: None = CPU); Keras places work itself
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
