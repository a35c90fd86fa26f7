"""Errors in the sources' forecasting material (source 001 §4.1–4.2), each with the fix.

These are errors of code and method, not of arithmetic, so ``correct`` returns the corrected
statement; the chapter notebook (05) runs the corrected version.
"""
from __future__ import annotations

from . import Erratum
from ._compute import optimistic, undefined

__all__ = ["ENTRIES"]

_CH = "05_forecasting"

#: Source 001 §4.2's state-space "pseudo-code", as printed (comments translated).
STATE_SPACE_CODE = """\
X_train, X_test = ...
model = StateSpaceModel(input_shape=(timesteps, features))
model.compile(optimizer='adam', loss='mse')
model.fit(X_train, y_train, epochs=100, batch_size=32)
"""


def _no_state_space_class() -> bool:
    """Keras has no StateSpaceModel; statsmodels has the state-space models (fitted by the Kalman filter)."""
    import keras
    import statsmodels.tsa.api as tsa

    return (not any(hasattr(m, "StateSpaceModel") for m in (keras, keras.layers, keras.models))
            and hasattr(tsa, "UnobservedComponents"))


def _y_train_undefined() -> bool:
    return "y_train" in undefined(STATE_SPACE_CODE)

ENTRIES = [
    Erratum(
        source="001 §4.2",
        topic="forecasting",
        what="model = StateSpaceModel(input_shape=(timesteps, features)); model.compile(optimizer='adam', loss='mse')",
        printed="StateSpaceModel used as a Keras model class",
        correct=lambda: (
            "Keras has no StateSpaceModel. A linear-Gaussian state-space model is fitted by maximum "
            "likelihood with the Kalman filter, e.g. statsmodels "
            "UnobservedComponents(y, level='local linear trend', seasonal=7).fit() or SARIMAX(...).fit(); "
            "no optimizer='adam', no epochs, no batches"
        ),
        check=_no_state_space_class,
        why="pseudo-code presented as code: the class does not exist, and gradient training on "
            "windows is not how a state-space model is estimated",
        chapter=_CH,
    ),
    Erratum(
        source="001 §4.1",
        topic="forecasting",
        what="model.fit(X_train, y_train, epochs=100, batch_size=32, validation_data=(X_test, y_test))",
        printed="the test set used as validation data",
        correct=lambda: (
            "hold out the last days of the training period for validation (early stopping, choice of "
            "epochs); evaluate on later days only, with a rolling origin, and fit the scaler on the "
            "training part only"
        ),
        why="whatever is chosen by watching the test loss (epochs, architecture) leaks the test period "
            "into the model, and the reported test error is then optimistic",
        check=optimistic,
        chapter=_CH,
    ),
    Erratum(
        source="001 §4.2",
        topic="forecasting",
        what="X_train, X_test = ...; model.fit(X_train, y_train, ...)",
        printed="y_train used but never defined",
        correct=lambda: "build inputs and targets together from the series: windows "
                        "(y[t-L:t], y[t:t+h]) for every t of the training period (companion.forecasting.make_windows)",
        why="the pseudo-code loads inputs only; a forecaster's targets are the series' own future values",
        check=_y_train_undefined,
        chapter=_CH,
    ),
]
