"""Tests of companion.forecasting (framework-neutral) and the two LSTM forecasters."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats

import companion  # noqa: F401
from companion import forecasting as F


def _series(n=120, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    mean = 50 + 0.1 * t + 10 * np.sin(2 * np.pi * t / 7)
    return rng.poisson(mean).astype(float), mean


# ---------------------------------------------------------------- windows and scaling


def test_make_windows_shapes_and_alignment():
    y = np.arange(20.0)
    w = F.make_windows(y, lookback=4, horizon=3)
    assert w.past.shape == (14, 4, 1) and w.target.shape == (14, 3) and w.extra.shape == (14, 0)
    # first window: inputs 0..3, targets 4..6; inputs always end right before the targets
    assert w.past[0, :, 0].tolist() == [0, 1, 2, 3] and w.target[0].tolist() == [4, 5, 6]
    assert np.all(w.past[:, -1, 0] + 1 == w.target[:, 0])
    assert w.t.tolist() == list(range(4, 18))


def test_make_windows_restrict_phase_and_exog():
    y = np.arange(30.0)
    x = 100 + np.arange(30.0)
    w = F.make_windows(y, 7, 2, exog=x, period=7, first=10, last=12)
    assert w.t.tolist() == [10, 11, 12]
    assert w.past.shape == (3, 7, 2) and w.extra.shape == (3, 7 + 2)
    assert w.extra[0, :7].argmax() == 10 % 7  # phase of the first target day
    assert w.extra[0, 7:].tolist() == [110, 111]  # covariates over the horizon (known in advance)
    assert w.past[0, :, 1].tolist() == list(range(103, 110))
    with pytest.raises(ValueError, match="no window fits"):
        F.make_windows(np.arange(5.0), 4, 3)


def test_scaler_roundtrip_and_train_only_statistics():
    y = np.array([0, 5, 10, 200, 300.0])
    s = F.SeriesScaler(log=True).fit(y[:3])
    assert np.isclose(s.mean_, np.log1p(y[:3]).mean()) and np.isclose(s.std_, np.log1p(y[:3]).std())
    assert np.allclose(s.inverse_transform(s.transform(y)), y)
    with pytest.raises(ValueError, match="non-negative"):
        F.SeriesScaler().fit([-1.0, 2.0])


class _SpyNeural(F.WindowedNeuralForecaster):
    """Records what the framework part receives; predicts the scaled mean (zeros)."""

    def _train(self, train, valid):
        self.seen = (train, valid)
        return None

    def _predict(self, past, extra):
        return np.zeros((len(past), self.horizon))


def test_neural_scaler_fitted_on_training_part_only():
    y, _ = _series(100)
    f = _SpyNeural(lookback=14, horizon=7, n_val=14).fit(y)
    assert np.isclose(f.scaler_.mean_, np.log1p(y[:86]).mean())
    # changing the validation days (the held-out tail) leaves the scaler untouched
    y2 = y.copy()
    y2[86:] *= 10
    g = _SpyNeural(lookback=14, horizon=7, n_val=14).fit(y2)
    assert g.scaler_.mean_ == f.scaler_.mean_ and g.scaler_.std_ == f.scaler_.std_
    train, valid = f.seen
    assert train.t.max() + 7 <= 86 and valid.t.min() >= 86  # train targets never reach validation days
    assert valid.t.max() + 7 == 100


def test_neural_predict_uses_last_window_only():
    y, _ = _series(100)
    f = _SpyNeural(lookback=14, horizon=7, n_val=14).fit(y)
    w = f._last_window()
    assert w.past.shape == (1, 14, 1)
    assert np.allclose(f.scaler_.inverse_transform(w.past[0, :, 0]), y[-14:])
    assert np.allclose(f.predict(7), np.expm1(f.scaler_.mean_))


# ---------------------------------------------------------------- walk-forward


class _Spy(F.Forecaster):
    """Remembers every history it was given; forecasts its last value."""

    def __init__(self):
        self.calls = []

    def fit(self, y, exog=None):
        self.calls.append(("fit", len(y), float(np.max(y)), None if exog is None else len(exog)))
        self.y = y
        return self

    def update(self, y, exog=None):
        self.calls.append(("update", len(y), float(np.max(y)), None if exog is None else len(exog)))
        self.y = y
        return self

    def predict(self, h, exog_future=None):
        if exog_future is not None:
            assert len(exog_future) == h
        return np.full(h, self.y[-1])


def test_walk_forward_never_shows_the_future():
    y = np.arange(60.0)  # value == index: the largest value seen reveals the latest day seen
    spy = _Spy()
    origins = np.arange(30, 54)
    res = F.walk_forward(spy, y, origins, h=7, refit_every=5, exog=np.ones(60))
    assert len(spy.calls) == len(origins)
    for (kind, n, biggest, n_exog), o in zip(spy.calls, origins):
        assert n == o and biggest == o - 1 and n_exog == o  # only y[:o]
    kinds = [c[0] for c in spy.calls]
    assert [i for i, k in enumerate(kinds) if k == "fit"] == [0, 5, 10, 15, 20] and res.n_fits == 5
    assert np.array_equal(res.actuals[0], y[30:37]) and np.all(res.forecasts[:, 0] == origins - 1)


def test_walk_forward_history_is_read_only():
    class Cheater(_Spy):
        def fit(self, y, exog=None):
            y[-1] = 0  # trying to write into the data
            return self

    with pytest.raises(ValueError, match="read-only"):
        F.walk_forward(Cheater(), np.arange(40.0), [20, 21], h=3)


def test_walk_forward_rejects_targets_beyond_the_data():
    with pytest.raises(ValueError, match="every target is observed"):
        F.walk_forward(_Spy(), np.arange(40.0), [30, 35], h=7)


def test_metrics_mase_uses_one_scale_before_the_first_origin():
    y, _ = _series(100)
    res = F.walk_forward(F.SeasonalNaiveForecaster(7), y, np.arange(70, 94), h=7)
    scale = np.mean(np.abs(y[7:70] - y[:63]))
    m = res.metrics()
    assert np.isclose(m["MASE"], m["MAE"] / scale)
    assert np.isclose(res.per_horizon()["MAE"].mean(), m["MAE"])
    table = F.results_table([res, F.walk_forward(F.NaiveForecaster(), y, np.arange(70, 94), h=7)],
                            reference="seasonal naive")
    assert table.loc["seasonal naive", "rel. MAE"] == 1.0


def test_known_mean_and_combination():
    y, mean = _series(100)
    origins = np.arange(70, 94)
    oracle = F.walk_forward(F.KnownMeanForecaster(mean), y, origins, h=7)
    assert np.allclose(oracle.forecasts[0], mean[70:77])
    naive = F.walk_forward(F.NaiveForecaster(), y, origins, h=7)
    both = F.combine([oracle, naive])
    assert np.allclose(both.forecasts, (oracle.forecasts + naive.forecasts) / 2)
    with pytest.raises(ValueError, match="other origins"):
        F.combine([oracle, F.walk_forward(F.NaiveForecaster(), y, origins[1:], h=7)])


def test_sarima_forecaster_update_keeps_parameters_and_intervals_cover():
    y, _ = _series(140, seed=1)
    f = F.SARIMAForecaster((1, 0, 0), (1, 0, 0, 7), trend="c").fit(y[:120])
    params = f.result_.params.copy()
    f.update(y[:127])
    assert np.allclose(f.result_.params, params) and f.result_.nobs == 127
    lo, hi = f.interval(7, alpha=0.2)
    point = f.predict(7)
    assert np.all(lo < point) and np.all(point < hi)
    res = F.walk_forward(F.SARIMAForecaster((1, 0, 0), (1, 0, 0, 7), trend="c"), y, np.arange(100, 134), h=7,
                         refit_every=7, alpha=0.2)
    assert 0.55 < F.interval_coverage(res) <= 1.0


def test_arima_is_a_state_space_model():
    y, _ = _series(120, seed=2)
    f = F.SARIMAForecaster((1, 0, 0), trend="c", log=False).fit(y)
    c, phi = f.result_.params[:2]
    # the Kalman filter's one-step predictions are the AR(1) recursion c + φ y_{t-1}
    assert np.allclose(f.result_.fittedvalues[1:], c + phi * y[:-1])
    mats = F.state_space_matrices(f.result_)
    assert np.isclose(mats["T (transition)"][0, 0], phi)


def test_select_order_sorted_by_aic():
    y, _ = _series(100, seed=3)
    table = F.select_sarima_order(y, d=0, p=(0, 1), q=(0,), P=(0, 1), Q=(0,))
    assert len(table) == 4 and table["aic"].is_monotonic_increasing
    assert table.loc[0, "seasonal_order"][3] in (0, 7)


def test_unobserved_components_components():
    y, _ = _series(100, seed=4)
    f = F.UnobservedComponentsForecaster().fit(y)
    comp = f.components()
    assert set(comp.columns) == {"level", "trend", "seasonal"} and len(comp) == 100
    assert len(f.predict(7)) == 7


def test_daily_counts_fills_gaps():
    df = pd.DataFrame({"timestamp": [0, 10, 86400 * 3]})
    s = F.daily_counts(df)
    assert s.tolist() == [2, 0, 0, 1]


# ---------------------------------------------------------------- Diebold–Mariano and bootstrap


def test_dm_h1_equals_paired_t_test():
    rng = np.random.default_rng(0)
    e1, e2 = rng.normal(size=50), rng.normal(size=50) * 1.3
    dm = F.diebold_mariano(e1, e2, h=1, power=2)
    t = stats.ttest_rel(e1 ** 2, e2 ** 2)
    assert np.isclose(dm.statistic, t.statistic) and np.isclose(dm.pvalue, t.pvalue)


def test_dm_known_cases():
    rng = np.random.default_rng(1)
    e = rng.normal(size=(60, 7))
    better = F.diebold_mariano(0.5 * e, e, h=7)  # half the error everywhere
    assert better.statistic < 0 and better.pvalue < 0.01
    assert np.isclose(F.diebold_mariano(e, 0.5 * e, h=7).statistic, -better.statistic)
    same = F.diebold_mariano(e, e.copy(), h=7)
    assert np.isnan(same.statistic) and same.mean_diff == 0
    noise = F.diebold_mariano(rng.normal(size=200), rng.normal(size=200), h=1)
    assert noise.pvalue > 0.05
    # without the small-sample correction, the statistic is larger in size
    raw = F.diebold_mariano(0.5 * e, e, h=7, hln=False)
    assert abs(raw.statistic) > abs(better.statistic)


def test_dm_under_the_null_rejects_about_five_percent():
    rng = np.random.default_rng(2)
    p = [F.diebold_mariano(rng.normal(size=60), rng.normal(size=60), h=1).pvalue for _ in range(400)]
    assert 0.02 < np.mean(np.array(p) < 0.05) < 0.09


def test_paired_bootstrap():
    rng = np.random.default_rng(3)
    e = rng.normal(size=(60, 7))
    b = F.paired_bootstrap(0.5 * e, e, block=7, n_boot=500)
    assert b["high"] < 0 and b["pvalue"] < 0.01 and b["low"] <= b["mean_diff"] <= b["high"]
    n = F.paired_bootstrap(rng.normal(size=100), rng.normal(size=100), block=1, n_boot=500)
    assert n["low"] < 0 < n["high"]


# ---------------------------------------------------------------- the LSTM forecasters


def _tiny(cls, **kw):
    return cls(lookback=14, horizon=7, hidden=8, epochs=3, patience=2, n_val=14, **kw)


def test_torch_lstm_forecaster_deterministic_and_finite():
    from companion.torch import LSTMForecaster

    y, _ = _series(90)
    a = _tiny(LSTMForecaster).fit(y).predict(7)
    b = _tiny(LSTMForecaster).fit(y).predict(7)
    assert a.shape == (7,) and np.isfinite(a).all() and np.array_equal(a, b)
    # an update changes the forecast (new window) but not the weights
    f = _tiny(LSTMForecaster).fit(y[:80])
    w = f.net_.head.weight.detach().clone()
    f.update(y)
    assert f.predict(7).shape == (7,)
    assert np.array_equal(f.net_.head.weight.detach(), w)


def test_keras_matches_torch_with_the_same_weights():
    import keras
    import torch

    from companion.keras import LSTMForecastNet as KNet, load_torch
    from companion.torch import LSTMForecastNet as TNet

    torch.manual_seed(0)
    tnet = TNet(2, 9, 8, 7).eval()
    knet = load_torch(KNet(2, 9, 8, 7), tnet)
    rng = np.random.default_rng(0)
    past, extra = rng.normal(size=(5, 14, 2)).astype("float32"), rng.normal(size=(5, 9)).astype("float32")
    with torch.no_grad():
        t_out = tnet(torch.as_tensor(past), torch.as_tensor(extra)).numpy()
    k_out = keras.ops.convert_to_numpy(knet([past, extra], training=False))
    assert np.allclose(t_out, k_out, atol=1e-5)


def test_keras_lstm_forecaster_runs():
    from companion.keras import LSTMForecaster

    y, _ = _series(90)
    promo = np.zeros(90)
    promo[::30] = 1
    f = _tiny(LSTMForecaster).fit(y, promo)
    p = f.predict(7, exog_future=np.zeros(7))
    assert p.shape == (7,) and np.isfinite(p).all()
    with pytest.raises(ValueError, match="exog_future"):
        f.predict(7)


def test_keras_init_from_torch_starts_from_the_same_weights():
    import torch

    from companion.keras import LSTMForecaster as KerasLSTMForecaster
    from companion.torch import LSTMForecastNet as TNet

    y, _ = _series(90)
    f = _tiny(KerasLSTMForecaster, init="torch").fit(y)
    torch.manual_seed(0)
    t = TNet(1, 7, 8, 7)
    assert np.allclose(f._init_weights[0], t.lstm.weight_ih_l0.detach().numpy().T)
    assert np.allclose(f._init_weights[-1], t.head.bias.detach().numpy())
    with pytest.raises(ValueError, match="init must be"):
        KerasLSTMForecaster(init="jax")


def test_keras_twin_of_a_fitted_torch_forecaster_gives_the_same_forecasts():
    from companion.keras import LSTMForecaster as KerasLSTMForecaster
    from companion.torch import LSTMForecaster

    y, _ = _series(100)
    promo = np.zeros(100)
    promo[::30] = 1
    f = _tiny(LSTMForecaster).fit(y[:90], promo[:90])
    twin = KerasLSTMForecaster.from_torch(f)
    for o in (90, 93):
        f.update(y[:o], promo[:o])
        twin.update(y[:o], promo[:o])
        a, b = f.predict(7, promo[o:o + 7]), twin.predict(7, promo[o:o + 7])
        assert np.allclose(a, b, rtol=1e-5, atol=1e-4)
    with pytest.raises(ValueError, match="fit the PyTorch forecaster"):
        KerasLSTMForecaster.from_torch(_tiny(LSTMForecaster))


# ---------------------------------------------------------------- M4 benchmarks, intervals, Ljung-Box


def test_pinball_and_interval_score_match_sklearn():
    from sklearn.metrics import mean_pinball_loss

    from companion.metrics import interval_score, pinball_loss

    rng = np.random.default_rng(0)
    y = rng.normal(size=200)
    lo, hi = -1 + 0.1 * rng.normal(size=200), 1 + 0.1 * rng.normal(size=200)
    for tau in (0.1, 0.5, 0.9):
        assert np.isclose(pinball_loss(y, lo, tau), mean_pinball_loss(y, lo, alpha=tau))
    a = 0.2
    want = 2 / a * (mean_pinball_loss(y, lo, alpha=a / 2) + mean_pinball_loss(y, hi, alpha=1 - a / 2))
    assert np.isclose(interval_score(y, lo, hi, a), want)
    # by hand: width 2, one miss below by 1 at alpha 0.2 costs 10 more
    assert np.isclose(interval_score([-2.0, 0.0], [-1.0, -1.0], [1.0, 1.0], 0.2), (2 + 10 + 2) / 2)
    with pytest.raises(ValueError, match="upper < lower"):
        interval_score([0.0], [1.0], [0.0], 0.2)
    with pytest.raises(ValueError, match="tau"):
        pinball_loss([0.0], [0.0], 1.5)


def test_seasonal_indices_match_statsmodels_and_accept_zeros():
    from statsmodels.tsa.seasonal import seasonal_decompose

    y, _ = _series(84)
    sm = seasonal_decompose(y, model="multiplicative", period=7).seasonal[:7]
    assert np.allclose(F.seasonal_indices(y, 7), sm)
    even = seasonal_decompose(y, model="multiplicative", period=4).seasonal[:4]
    assert np.allclose(F.seasonal_indices(y, 4), even)
    z = y.copy()
    z[10] = 0
    assert np.isfinite(F.seasonal_indices(z, 7)).all()
    with pytest.raises(ValueError, match="non-negative"):
        F.seasonal_indices(-y, 7)


def test_seasonality_test_detects_a_strong_week_and_not_white_noise():
    rng = np.random.default_rng(0)
    week = 100 * (1 + 0.5 * np.sin(2 * np.pi * np.arange(140) / 7)) + rng.normal(0, 5, 140)
    assert F.seasonality_test(week, 7)
    assert not F.seasonality_test(100 + rng.normal(0, 5, 140), 7)
    with pytest.raises(ValueError, match="3 seasons"):
        F.seasonality_test(week[:14], 7)


def test_m4_benchmarks_forecast_and_update_keeps_parameters():
    y, _ = _series(120)
    origins = np.arange(100, 114)
    for f in [F.Naive2Forecaster(), F.ExpSmoothingForecaster("damped"), F.CombForecaster(), F.ThetaForecaster(),
              F.ETSForecaster.from_spec("ETS(A,Ad,A)")]:
        r = F.walk_forward(f, y, origins, 7, refit_every=7, alpha=0.2)
        assert np.isfinite(r.forecasts).all() and r.n_fits == 2, f.name
    # Naive2 on a seasonal series: the last adjusted value times next days' indices
    f = F.Naive2Forecaster(test=False).fit(y[:100])
    idx = F.seasonal_indices(y[:100], 7)
    assert np.allclose(f.predict(7), y[99] / idx[99 % 7] * idx[np.arange(100, 107) % 7])
    # Comb is the mean of its three members
    comb = F.CombForecaster(test=False).fit(y[:100])
    members = [F.ExpSmoothingForecaster(k, test=False).fit(y[:100]).predict(7) for k in ("SES", "Holt", "damped")]
    assert np.allclose(comb.predict(7), np.mean(members, axis=0))
    # update with kept parameters equals a fit with those parameters fixed (ETS: smooth)
    ets = F.ETSForecaster.from_spec("ETS(A,N,A)").fit(y[:100])
    p = ets.result_.params.copy()
    ets.update(y[:107])
    assert np.allclose(ets.result_.params, p)
    theta = F.ThetaForecaster(test=False).fit(y[:100])
    b0, alpha = theta.result_.params
    theta.update(y[:107])
    assert np.allclose(theta.result_.params, [b0, alpha]) and theta.predict(7).shape == (7,)
    lo, hi = theta.interval(7, 0.2)
    assert (lo < theta.predict(7)).all() and (theta.predict(7) < hi).all()
    with pytest.raises(ValueError, match="expected 'ETS"):
        F.ETSForecaster.from_spec("ETS(M,N,N)")


def test_select_ets_sorted_and_owa():
    y, _ = _series(100)
    s = F.select_ets(y)
    assert len(s) == 6 and s["aic"].is_monotonic_increasing
    assert s.loc[0, "model"].endswith(",A)")  # the series has a weekly pattern: AIC picks a seasonal form
    t = pd.DataFrame({"sMAPE": [20.0, 10.0], "MASE": [1.0, 0.8]}, index=["Naive2", "m"])
    assert np.allclose(F.owa(t), [1.0, (0.5 + 0.8) / 2])
    with pytest.raises(ValueError, match="reference"):
        F.owa(t, reference="naive")


def test_interval_table_and_ljung_box_model_df():
    from statsmodels.stats.diagnostic import acorr_ljungbox

    y, _ = _series(120)
    r = F.walk_forward(F.ETSForecaster.from_spec("ETS(A,N,A)"), y, np.arange(100, 114), 7, alpha=0.2)
    t = F.interval_table([r])
    assert 0 <= t.loc[r.name, "coverage"] <= 1 and np.isclose(t.loc[r.name, "MSIS"],
                                                               t.loc[r.name, "interval score"] / r.scale)
    with pytest.raises(ValueError, match="no prediction intervals"):
        F.interval_table([F.walk_forward(F.NaiveForecaster(), y, np.arange(100, 114), 7)])
    e = np.random.default_rng(0).normal(size=150)
    lb0, lb3 = F.ljung_box(e, (7, 14)), F.ljung_box(e, (7, 14), model_df=3)
    assert np.allclose(lb0["Q"], lb3["Q"]) and (lb3["p-value"] < lb0["p-value"]).all()
    assert np.allclose(lb3["p-value"], acorr_ljungbox(e, lags=[7, 14], model_df=3)["lb_pvalue"])
    with pytest.raises(ValueError, match="exceed model_df"):
        F.ljung_box(e, (3, 7), model_df=3)
