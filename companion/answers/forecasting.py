"""Answers to the exercises of the forecasting chapter (notebook 05)."""
import numpy as np

from ..exercises import Expect

ANSWERS = {
    "mase_by_hand": Expect(1.0, rtol=1e-6, hint="MAE of the forecast / mean |y_t - y_{t-7}| over the training series"),
    "snaive_shop": Expect([39.0, 33.0, 61.0, 60.0, 29.0, 36.0, 35.0], rtol=0, atol=1e-9,
                          hint="seasonal_naive(y_shop[:origins_shop[0]], 7)"),
    "hln_factor": Expect(float(np.sqrt((50 + 1 - 2 * 7 + 7 * 6 / 50) / 50)), rtol=1e-4,
                         hint="sqrt((n + 1 - 2h + h(h-1)/n) / n)"),
    "scaler_leak": Expect(0.0557317591376556, rtol=1e-4,
                          hint="difference of the log1p means: all of y_ml vs y_ml[:origins_ml[0]]"),
}
