"""The M4 competition's benchmarks (Makridakis et al. 2018, 2020) as :class:`Forecaster` s.

* :func:`seasonality_test` and :func:`seasonal_indices`: M4's deseasonalisation, a 90% test of
  the autocorrelation at lag ``m`` and, when it passes, classical multiplicative decomposition
  (ratio to a centred moving average, as statsmodels' ``seasonal_decompose``);
* on the seasonally adjusted series, reseasonalised: :class:`Naive2Forecaster` (naive),
  :class:`ExpSmoothingForecaster` (SES, Holt, damped Holt; statsmodels ``ExponentialSmoothing``)
  and :class:`CombForecaster` (M4's "Comb": the mean of SES, Holt and damped Holt);
* :class:`ThetaForecaster` (statsmodels ``ThetaModel``, the M4 Theta method) and
  :class:`ETSForecaster` (statsmodels ``ETSModel``, additive errors on ``log1p(y)``), with
  :func:`select_ets` (the form by AIC on the training window, as for SARIMA);
* :func:`owa`: M4's overall weighted average, the mean of the sMAPE and MASE ratios to Naive2.

``update`` keeps what ``fit`` estimated (seasonal indices, smoothing parameters, initial states)
and runs the recursions over the longer history, like the Kalman-filter update of SARIMA.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .forecasters import Forecaster, _quiet_single_thread

__all__ = [
    "CombForecaster",
    "ETSForecaster",
    "ExpSmoothingForecaster",
    "Naive2Forecaster",
    "ThetaForecaster",
    "owa",
    "seasonal_indices",
    "seasonality_test",
    "select_ets",
]


def _series(y, what="y") -> np.ndarray:
    y = np.asarray(y, dtype=float)
    if y.ndim != 1 or len(y) == 0:
        raise ValueError(f"{what} must be a non-empty 1-D series, got shape {y.shape}")
    if not np.isfinite(y).all():
        raise ValueError(f"{what} has {int((~np.isfinite(y)).sum())} non-finite values")
    return y


def seasonality_test(y, m: int = 7) -> bool:
    """M4's test: is ``|acf(m)| > 1.645·sqrt((1 + 2·Σ_{k<m} acf(k)²) / n)`` (90%, Bartlett's bound)?

    (M4's published code adds ``acf(1)`` unsquared to the sum; this is the textbook bound.)"""
    from statsmodels.tsa.stattools import acf

    y = _series(y)
    if len(y) < 3 * m:
        raise ValueError(f"need at least 3 seasons ({3 * m} values) to test seasonality, got {len(y)}")
    r = acf(y, nlags=m, fft=False)
    return bool(abs(r[m]) > 1.645 * np.sqrt((1 + 2 * np.sum(r[1:m] ** 2)) / len(y)))


def seasonal_indices(y, m: int = 7) -> np.ndarray:
    """Classical multiplicative decomposition: the ``m`` seasonal indices (mean 1), index ``j``
    for the days ``t`` with ``t % m == j``. The ratio ``y / trend`` uses the centred moving
    average (2×m when ``m`` is even); it equals statsmodels' ``seasonal_decompose(...,
    model="multiplicative")`` and, unlike it, accepts days with ``y = 0``."""
    y = _series(y)
    if len(y) < 2 * m + 1:
        raise ValueError(f"need at least {2 * m + 1} values for a centred moving average, got {len(y)}")
    if (y < 0).any():
        raise ValueError("multiplicative decomposition needs non-negative values")
    w = np.ones(m) / m if m % 2 else np.r_[0.5, np.ones(m - 1), 0.5] / m
    trend = np.full(len(y), np.nan)
    half = len(w) // 2
    trend[half:len(y) - half] = np.convolve(y, w, mode="valid")
    if (trend[half:len(y) - half] <= 0).any():
        raise ValueError("the moving average is zero somewhere: multiplicative indices are undefined")
    ratio = y / trend
    idx = np.array([np.nanmean(ratio[j::m]) for j in range(m)])
    return idx / idx.mean()


class _Deseasonalised(Forecaster):
    """M4's recipe: test seasonality on the history; if seasonal, divide by the classical
    indices, forecast the adjusted series, multiply the forecast by the indices."""

    def __init__(self, m: int = 7, *, test: bool = True, name: str | None = None):
        self.m, self.test = m, test
        if name:
            self.name = name

    def fit(self, y, exog=None):
        y = _series(y)
        self.seasonal_ = (not self.test) or seasonality_test(y, self.m)
        self.indices_ = seasonal_indices(y, self.m) if self.seasonal_ else np.ones(self.m)
        self._fit_adjusted(y / self.indices_[np.arange(len(y)) % self.m])
        self.n_ = len(y)
        return self

    def update(self, y, exog=None):
        if not hasattr(self, "indices_"):
            return self.fit(y, exog)
        y = _series(y)
        self._update_adjusted(y / self.indices_[np.arange(len(y)) % self.m])
        self.n_ = len(y)
        return self

    def predict(self, h, exog_future=None):
        return self._predict_adjusted(h) * self.indices_[np.arange(self.n_, self.n_ + h) % self.m]

    def _fit_adjusted(self, a):  # pragma: no cover - interface
        raise NotImplementedError

    def _update_adjusted(self, a):
        self._fit_adjusted(a)

    def _predict_adjusted(self, h):  # pragma: no cover - interface
        raise NotImplementedError


class Naive2Forecaster(_Deseasonalised):
    """M4's Naive2: the last seasonally adjusted value, reseasonalised (OWA's reference)."""

    name = "Naive2"

    def _fit_adjusted(self, a):
        self.last_ = a[-1]

    def _predict_adjusted(self, h):
        return np.full(h, self.last_)


_ES_KINDS = {"SES": dict(trend=None), "Holt": dict(trend="add"), "damped": dict(trend="add", damped_trend=True)}


class ExpSmoothingForecaster(_Deseasonalised):
    """Exponential smoothing (指数平滑) on the seasonally adjusted series, M4-style:
    ``kind="SES"`` (simple), ``"Holt"`` (linear trend) or ``"damped"`` (damped trend);
    parameters and initial states by statsmodels ``ExponentialSmoothing`` (least squares)."""

    def __init__(self, kind: str = "SES", m: int = 7, *, test: bool = True, name: str | None = None):
        if kind not in _ES_KINDS:
            raise ValueError(f"kind must be one of {list(_ES_KINDS)}, got {kind!r}")
        self.kind = kind
        super().__init__(m, test=test, name=name or kind)

    def _fit_adjusted(self, a):
        from statsmodels.tsa.holtwinters import ExponentialSmoothing

        with _quiet_single_thread():
            self.result_ = ExponentialSmoothing(a, **_ES_KINDS[self.kind], initialization_method="estimated").fit()
        p = self.result_.params
        self.fixed_ = {k: p[k] for k in ("smoothing_level", "smoothing_trend", "damping_trend")
                       if k in p and np.isfinite(p[k])}
        self.initial_ = {"initial_level": p["initial_level"]}
        if self.kind != "SES":
            self.initial_["initial_trend"] = p["initial_trend"]

    def _update_adjusted(self, a):
        """Same parameters and initial states, recursions run over the longer history."""
        from statsmodels.tsa.holtwinters import ExponentialSmoothing

        with _quiet_single_thread():
            model = ExponentialSmoothing(a, **_ES_KINDS[self.kind], initialization_method="known", **self.initial_)
            self.result_ = model.fit(**self.fixed_, optimized=False)

    def _predict_adjusted(self, h):
        return np.asarray(self.result_.forecast(h))


class CombForecaster(_Deseasonalised):
    """M4's Comb benchmark: the mean of SES, Holt and damped Holt on the seasonally adjusted series."""

    name = "Comb (SES, Holt, damped)"

    def _fit_adjusted(self, a):
        self.members_ = [ExpSmoothingForecaster(k, self.m, test=False) for k in _ES_KINDS]
        for f in self.members_:
            f.indices_ = np.ones(self.m)  # already adjusted: the members must not deseasonalise again
            f._fit_adjusted(a)

    def _update_adjusted(self, a):
        for f in self.members_:
            f._update_adjusted(a)

    def _predict_adjusted(self, h):
        return np.mean([f._predict_adjusted(h) for f in self.members_], axis=0)


class ThetaForecaster(_Deseasonalised):
    """The Theta method (Assimakopoulos & Nikolopoulos 2000; M4's "Theta" benchmark): SES with
    drift (half the slope of a linear trend) on the seasonally adjusted series, by statsmodels
    ``ThetaModel`` (two-step estimation; the M4 deseasonalisation above instead of its own, so
    every M4 benchmark here shares one seasonality decision). ``update`` keeps the drift, the
    smoothing parameter and the residual variance and re-runs the SES over the longer history.
    Intervals: statsmodels' (Gaussian, from the ARIMA(0,1,1) form), reseasonalised."""

    name = "Theta"

    def _fit_adjusted(self, a):
        from statsmodels.tsa.forecasting.theta import ThetaModel

        with _quiet_single_thread():
            self.result_ = ThetaModel(a, period=self.m, deseasonalize=False).fit()
            self.sigma2_ = float(self.result_.sigma2)  # estimated once per fit (an ARIMA(0,1,1) fit)

    def _update_adjusted(self, a):
        from statsmodels.tsa.forecasting.theta import ThetaModel, ThetaModelResults
        from statsmodels.tsa.holtwinters import ExponentialSmoothing

        b0, alpha = self.result_.params[["b0", "alpha"]]
        with _quiet_single_thread():
            ses = ExponentialSmoothing(a, initial_level=a[0], initialization_method="known")
            one_step = ses.fit(smoothing_level=alpha, optimized=False).forecast(1)
            self.result_ = ThetaModelResults(b0, alpha, self.sigma2_, one_step, np.empty(0), False,
                                             ThetaModel(a, period=self.m, deseasonalize=False))

    def _predict_adjusted(self, h):
        with _quiet_single_thread():
            return np.asarray(self.result_.forecast(h))

    def interval(self, h, alpha=0.2, exog_future=None):
        with _quiet_single_thread():
            iv = np.asarray(self.result_.prediction_intervals(h, alpha=alpha))
        s = self.indices_[np.arange(self.n_, self.n_ + h) % self.m]
        return iv[:, 0] * s, iv[:, 1] * s


class ETSForecaster(Forecaster):
    """ETS (error, trend, seasonal) state-space exponential smoothing on ``log1p(y)`` with
    additive errors: statsmodels ``ETSModel`` by maximum likelihood, analytic prediction
    intervals. ``trend``: None or "add"; ``damped``; ``seasonal``: None or "add" (period ``m``).
    ``update`` keeps the parameters and initial states and re-runs the recursions."""

    def __init__(self, trend: str | None = "add", damped: bool = True, seasonal: str | None = "add", m: int = 7,
                 *, name: str | None = None):
        if trend not in (None, "add") or seasonal not in (None, "add"):
            raise ValueError("trend and seasonal must be None or 'add' (additive on the log scale)")
        if damped and trend is None:
            raise ValueError("a damped trend needs trend='add'")
        self.trend, self.damped, self.seasonal, self.m = trend, damped, seasonal, m
        self.name = name or self.spec

    @classmethod
    def from_spec(cls, spec: str, m: int = 7, *, name: str | None = None) -> "ETSForecaster":
        """``"ETS(A,Ad,A)"`` (the notation of :attr:`spec` and :func:`select_ets`) to a forecaster."""
        forms = {"N": (None, False), "A": ("add", False), "Ad": ("add", True)}
        parts = spec.removeprefix("ETS(").removesuffix(")").split(",")
        if len(parts) != 3 or parts[0] != "A" or parts[1] not in forms or parts[2] not in ("N", "A"):
            raise ValueError(f"expected 'ETS(A,<N|A|Ad>,<N|A>)', got {spec!r}")
        trend, damped = forms[parts[1]]
        return cls(trend, damped, None if parts[2] == "N" else "add", m, name=name)

    @property
    def spec(self) -> str:
        t = "N" if self.trend is None else ("Ad" if self.damped else "A")
        return f"ETS(A,{t},{'N' if self.seasonal is None else 'A'})"

    def _model(self, y):
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        y = _series(y)
        if (y < 0).any():
            raise ValueError("ETS on log1p needs non-negative values")
        # a pandas Series: statsmodels 0.14-0.15's get_prediction fails on a plain array
        return ETSModel(pd.Series(np.log1p(y)), error="add", trend=self.trend, damped_trend=self.damped,
                        seasonal=self.seasonal, seasonal_periods=self.m if self.seasonal else None)

    def fit(self, y, exog=None):
        with _quiet_single_thread():
            self.result_ = self._model(y).fit(disp=False)
        self.n_ = len(y)
        return self

    def update(self, y, exog=None):
        if not hasattr(self, "result_"):
            return self.fit(y, exog)
        with _quiet_single_thread():
            self.result_ = self._model(y).smooth(self.result_.params)
        self.n_ = len(y)
        return self

    def _frame(self, h, alpha):
        with _quiet_single_thread():
            return self.result_.get_prediction(start=self.n_, end=self.n_ + h - 1).summary_frame(alpha=alpha)

    def predict(self, h, exog_future=None):
        """Back-transformed mean on the log scale: the forecast median, as for SARIMA."""
        with _quiet_single_thread():
            return np.expm1(np.asarray(self.result_.forecast(h)))

    def interval(self, h, alpha=0.2, exog_future=None):
        f = self._frame(h, alpha)
        return np.expm1(f["pi_lower"].to_numpy()), np.expm1(f["pi_upper"].to_numpy())


def select_ets(y, m: int = 7) -> pd.DataFrame:
    """Fit the six additive ETS forms on ``log1p(y)`` (the training window only), sorted by AIC.
    All share the data and the transform, so their AICs are comparable. ``ETSForecaster.from_spec(
    table.loc[0, "model"])`` builds the chosen one."""
    rows = []
    for trend, damped in [(None, False), ("add", False), ("add", True)]:
        for seasonal in (None, "add"):
            f = ETSForecaster(trend, damped, seasonal, m).fit(y)
            rows.append({"model": f.spec, "aic": float(f.result_.aic)})
    return pd.DataFrame(rows).sort_values("aic", kind="stable").reset_index(drop=True)


def owa(table: pd.DataFrame, reference: str = "Naive2") -> pd.Series:
    """M4's overall weighted average of each row of ``table`` (columns ``sMAPE`` and ``MASE``):
    ``(sMAPE / sMAPE_ref + MASE / MASE_ref) / 2``; below 1 is better than the reference."""
    missing = {"sMAPE", "MASE"} - set(table.columns)
    if missing:
        raise ValueError(f"table lacks columns {sorted(missing)}")
    if reference not in table.index:
        raise ValueError(f"reference {reference!r} is not a row of the table; rows: {list(table.index)}")
    ref = table.loc[reference]
    return ((table["sMAPE"] / ref["sMAPE"] + table["MASE"] / ref["MASE"]) / 2).rename("OWA")
