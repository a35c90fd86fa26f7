"""LSTM forecaster (Keras 3): the mirror of :mod:`companion.torch.forecast`.

Same network (LSTM over the past window, its last hidden state concatenated with the extra
inputs, one Dense layer to the ``horizon`` outputs), same loss, optimiser, batch size and
early stopping, trained with :func:`companion.keras.training.fit`. Weights initialise
differently in the two frameworks (Keras: Glorot-uniform kernels, orthogonal recurrent
kernel, unit forget-gate bias; PyTorch: uniform ±1/√H everywhere), so the two agree in
accuracy, not digit for digit; :func:`copy_forecast_weights` shows that with the *same*
weights they compute the same function.
"""
from __future__ import annotations

import numpy as np

import companion as _companion  # noqa: F401  (quiet TensorFlow start-up)
import keras

from ..forecasting import WindowedNeuralForecaster, Windows
from .rnn import copy_lstm_weights
from .training import fit

__all__ = ["LSTMForecastNet", "LSTMForecaster", "copy_forecast_weights"]


def LSTMForecastNet(lookback: int, n_features: int, n_extra: int, hidden: int, horizon: int) -> keras.Model:
    """``[past (B, L, F), extra (B, E)]`` → LSTM → last hidden state ⊕ extra → Dense → (B, horizon)."""
    past = keras.Input((lookback, n_features), name="past")
    extra = keras.Input((n_extra,), name="extra")
    h = keras.layers.LSTM(hidden, name="lstm")(past)
    out = keras.layers.Dense(horizon, name="head")(keras.layers.Concatenate()([h, extra]))
    return keras.Model([past, extra], out, name="lstm_forecaster")


def copy_forecast_weights(torch_net, keras_net) -> None:
    """Copy a :class:`companion.torch.forecast.LSTMForecastNet` into the Keras network."""
    copy_lstm_weights(torch_net.lstm, keras_net.get_layer("lstm"))
    w = torch_net.head.weight.detach().cpu().numpy()
    b = torch_net.head.bias.detach().cpu().numpy()
    keras_net.get_layer("head").set_weights([w.T, b])


class LSTMForecaster(WindowedNeuralForecaster):
    """Direct ``horizon``-step LSTM forecaster, Keras 3 (same protocol as the PyTorch one)."""

    name = "LSTM (Keras)"

    def __init__(self, *args, init: str = "keras", **kwargs):
        """``init="keras"``: Keras's default initialisers; ``init="torch"``: start from exactly the
        initial weights :class:`companion.torch.LSTMForecaster` would use with the same seed
        (needs PyTorch), so that the two frameworks differ only in shuffling and optimiser details."""
        super().__init__(*args, **kwargs)
        if init not in ("keras", "torch"):
            raise ValueError(f"init must be 'keras' or 'torch', got {init!r}")
        self.init = init

    def _train(self, train: Windows, valid: Windows):
        shapes = (train.past.shape[2], train.extra.shape[1])
        if getattr(self, "_shapes", None) == shapes:
            # retrain from scratch in the same model: its compiled (traced) training step is reused,
            # which saves seconds of tracing at every refit. (Re-seeding here would force a retrace:
            # the shuffling stream simply continues, so a run is reproducible as a whole.)
            self.net_.set_weights(self._init_weights)
            for v in self.net_.optimizer.variables:  # Adam's step count and moments back to zero
                if "learning_rate" not in v.name:       # (the learning rate is a variable too: keep it)
                    v.assign(np.zeros(v.shape, dtype=v.dtype))
        else:
            keras.utils.set_random_seed(self.seed)
            self.net_ = LSTMForecastNet(self.lookback, *shapes, self.hidden, self.horizon)
            if self.init == "torch":
                import torch

                from ..torch.forecast import LSTMForecastNet as TorchNet

                torch.manual_seed(self.seed)  # as companion.torch.LSTMForecaster does before building
                copy_forecast_weights(TorchNet(*shapes, self.hidden, self.horizon), self.net_)
            self.net_.compile(optimizer=keras.optimizers.Adam(self.lr), loss="mse")
            self._shapes, self._init_weights = shapes, self.net_.get_weights()
        x = [train.past.astype("float32"), train.extra.astype("float32")]
        xv = [valid.past.astype("float32"), valid.extra.astype("float32")]
        yv = valid.target.astype("float32")

        def evaluate(model):
            pred = np.asarray(model.predict_on_batch(xv))  # compiled: much faster than an eager call
            return float(np.mean((pred - yv) ** 2))

        return fit(self.net_, x, train.target.astype("float32"), evaluate=evaluate, epochs=self.epochs,
                   batch_size=self.batch_size, patience=self.patience, mode="min", shuffle=True)

    def _predict(self, past: np.ndarray, extra: np.ndarray) -> np.ndarray:
        return np.asarray(self.net_.predict_on_batch([past, extra]))
