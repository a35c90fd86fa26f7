"""Chapter 5 (forecasting behavior volume)."""
import numpy as np

from . import Exercise

TRAIN = [10, 12, 14, 11, 13, 15, 12, 11, 13, 16, 12, 14, 15, 13]


def mase_by_hand():
    from companion.metrics import mase

    return mase([12, 14], [13, 13], TRAIN, m=7)


def _shop_series():
    from companion.data import generate_shop_log

    shop = generate_shop_log(days=240, seed=0)       # the chapter's shop series
    y = shop.daily_counts("buy").to_numpy(float)
    return y, np.arange(len(y) - 56, len(y) - 7 + 1)   # CPU-sized: TEST_DAYS = 56, H = 7


def snaive_shop():
    from companion.baselines import seasonal_naive

    y, origins = _shop_series()
    return seasonal_naive(y[:origins[0]], 7)


def hln_factor():
    n, h = 50, 7
    return float(np.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n))


def scaler_leak():
    from companion import forecasting as fc
    from companion.data import load_movielens_100k

    y = fc.daily_counts(load_movielens_100k()).to_numpy(float)
    o0 = len(y) - 56
    return abs(fc.SeriesScaler().fit(y).mean_ - fc.SeriesScaler().fit(y[:o0]).mean_)


EXERCISES = [
    Exercise("forecasting.mase_by_hand", "MASE by hand", mase_by_hand, tol=5e-4,
             hint="the forecast's MAE over the mean absolute seasonal difference (lag 7) of the training series"),
    Exercise("forecasting.snaive_shop", "seasonal naive for the shop's first week", snaive_shop, tol=0.01,
             hint="seasonal naive with period 7 repeats the last observed week; only data before the first origin",
             difficulty="**"),
    Exercise("forecasting.hln_factor", "the HLN correction factor", hln_factor, tol=5e-4,
             hint="the small-sample correction of the chapter's Diebold-Mariano section, with n origins and horizon h"),
    Exercise("forecasting.scaler_leak", "how much a leaky scaler moves", scaler_leak, tol=1e-5,
             hint="the scaler works on log1p of the counts; compare its mean fitted on all days and on the days "
                  "before the first origin", difficulty="**"),
]
