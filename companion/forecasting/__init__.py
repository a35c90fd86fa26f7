"""Forecasting daily behavior volume: an honest contest between statistical and neural models.

Framework-neutral (imports neither PyTorch nor TensorFlow). A package with one module per job;
every name below is importable from :mod:`companion.forecasting` itself.

* :mod:`~companion.forecasting.windows`: :func:`daily_counts` (an event log to a zero-filled daily series),
  :func:`make_windows` (sliding input/target windows for direct multi-step models),
  :class:`SeriesScaler` (``log1p`` + standardisation, fitted on training data only);
* :mod:`~companion.forecasting.forecasters`: the :class:`Forecaster` protocol (``fit`` / ``update`` / ``predict`` / ``interval``) and the
  statistical forecasters: :class:`NaiveForecaster`, :class:`SeasonalNaiveForecaster`,
  :class:`SARIMAForecaster` (statsmodels SARIMAX), :class:`UnobservedComponentsForecaster`
  (statsmodels structural model), :class:`KnownMeanForecaster` (the oracle of a synthetic series);
* :func:`select_sarima_order`: a small AIC search on the training window only;
* :mod:`~companion.forecasting.walk_forward`: :func:`walk_forward`, the rolling-origin evaluation driver. At each origin ``o`` the
  forecaster sees ``y[:o]`` and nothing later (covariates that are known in advance, such as
  planned promotions, are the one exception: their values up to ``o + h`` are passed);
  scoring with :class:`WalkForwardResult` (per-horizon and overall MAE, RMSE, sMAPE, MASE),
  :func:`combine` (equal-weight forecast combination), :func:`interval_coverage`;
* :mod:`~companion.forecasting.significance`: :func:`diebold_mariano` (with the
  Harvey–Leybourne–Newbold correction) and :func:`paired_bootstrap` (moving-block bootstrap
  over origins);
* :mod:`~companion.forecasting.benchmarks`: the M4 benchmarks, :class:`Naive2Forecaster`,
  :class:`ExpSmoothingForecaster` (SES, Holt, damped), :class:`CombForecaster`,
  :class:`ThetaForecaster`, :class:`ETSForecaster` with :func:`select_ets`, M4's deseasonalisation
  (:func:`seasonality_test`, :func:`seasonal_indices`) and :func:`owa`; :func:`interval_table`
  (coverage, width, interval score, MSIS) in ``walk_forward``;
* :class:`WindowedNeuralForecaster` (in ``forecasters``): the framework-neutral half of the LSTM forecasters
  (transform, scaling, windows, validation split); :mod:`companion.torch.forecast` and
  :mod:`companion.keras.forecast` add the network.
"""
from __future__ import annotations

from .forecasters import (
    Forecaster,
    KnownMeanForecaster,
    NaiveForecaster,
    SARIMAForecaster,
    SeasonalNaiveForecaster,
    UnobservedComponentsForecaster,
    WindowedNeuralForecaster,
    ljung_box,
    select_sarima_order,
    state_space_matrices,
)
from .benchmarks import (
    CombForecaster,
    ETSForecaster,
    ExpSmoothingForecaster,
    Naive2Forecaster,
    ThetaForecaster,
    owa,
    seasonal_indices,
    seasonality_test,
    select_ets,
)
from .significance import DMResult, diebold_mariano, paired_bootstrap
from .walk_forward import WalkForwardResult, combine, interval_coverage, interval_table, results_table, walk_forward
from .windows import SeriesScaler, Windows, daily_counts, make_windows

__all__ = [
    "CombForecaster",
    "DMResult",
    "ETSForecaster",
    "ExpSmoothingForecaster",
    "Naive2Forecaster",
    "ThetaForecaster",
    "interval_table",
    "owa",
    "seasonal_indices",
    "seasonality_test",
    "select_ets",
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
