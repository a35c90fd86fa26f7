"""LSTM forecaster (Keras 3): the mirror of :mod:`companion.torch.forecast`.

Same network (LSTM over the past window, its last hidden state concatenated with the extra
inputs, one Dense layer to the ``horizon`` outputs), same loss, optimiser, batch size and
early stopping, trained with :func:`companion.keras.training.fit`. The network is
:class:`companion.keras.rnn.LSTMForecastNet`. Weights initialise differently in the two
frameworks (Keras: Glorot-uniform kernels, orthogonal recurrent kernel, unit forget-gate bias;
PyTorch: uniform ±1/√H everywhere), so the two agree in accuracy, not digit for digit;
:func:`companion.keras.load_torch` shows that with the *same* weights they compute the same
function.
"""
from __future__ import annotations

import numpy as np

import companion as _companion  # noqa: F401  (quiet TensorFlow start-up)
import keras

from ..data.sequences import batch_stream
from ..forecasting import WindowedNeuralForecaster, Windows
from .porting import load_torch
from .rnn import LSTMForecastNet
from .training import fit

__all__ = ["LSTMForecaster"]


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
            # which saves seconds of tracing at every refit. (Re-seeding Keras here would force a
            # retrace; the batch order below is seeded per fit, so a run is reproducible as a whole.)
            self.net_.set_weights(self._init_weights)
            for v in self.net_.optimizer.variables:  # Adam's step count and moments back to zero
                if "learning_rate" not in v.name:       # (the learning rate is a variable too: keep it)
                    v.assign(np.zeros(v.shape, dtype=v.dtype))
        else:
            keras.utils.set_random_seed(self.seed)
            self.net_ = LSTMForecastNet(*shapes, self.hidden, self.horizon)
            if self.init == "torch":
                import torch

                from ..torch.rnn import LSTMForecastNet as TorchNet

                torch.manual_seed(self.seed)  # as companion.torch.LSTMForecaster does before building
                load_torch(self.net_, TorchNet(*shapes, self.hidden, self.horizon))
            self.net_.compile(optimizer=keras.optimizers.Adam(self.lr), loss="mse")
            self._shapes, self._init_weights = shapes, self.net_.get_weights()
        x = [train.past.astype("float32"), train.extra.astype("float32")]
        xv = [valid.past.astype("float32"), valid.extra.astype("float32")]
        yv = valid.target.astype("float32")

        def evaluate(model):
            pred = np.asarray(model.predict_on_batch(xv))  # compiled: much faster than an eager call
            return float(np.mean((pred - yv) ** 2))

        # loss_fn=None: train the model as compiled above (its traced training step is reused)
        return fit(self.net_, batch_stream(x, train.target.astype("float32"), batch_size=self.batch_size,
                                           seed=self.seed + len(self.histories)),
                   None, evaluate=evaluate, epochs=self.epochs, patience=self.patience, mode="min")

    @classmethod
    def from_torch(cls, forecaster, name: str | None = None) -> "LSTMForecaster":
        """A Keras forecaster that *is* a fitted :class:`companion.torch.LSTMForecaster`: the same
        configuration, scalers and history, and its trained weights copied by
        :func:`~companion.keras.load_torch`. Its ``update`` / ``predict`` then give the same
        forecasts as the PyTorch one's, up to float32 round-off; the check that the two forecasting
        paths (windows, scaling, network, back-transform) are one. Calling ``fit`` retrains it in Keras."""
        if not hasattr(forecaster, "net_"):
            raise ValueError("fit the PyTorch forecaster first: it has no trained network")
        twin = cls(forecaster.lookback, forecaster.horizon, forecaster.hidden, epochs=forecaster.epochs,
                   patience=forecaster.patience, lr=forecaster.lr, batch_size=forecaster.batch_size,
                   n_val=forecaster.n_val, period=forecaster.period, log=forecaster.log, seed=forecaster.seed,
                   name=name)
        for attr in ("scaler_", "exog_scaler_", "y_", "exog_"):
            if hasattr(forecaster, attr):
                setattr(twin, attr, getattr(forecaster, attr))
        net = forecaster.net_
        twin.net_ = load_torch(LSTMForecastNet(net.lstm.input_size, net.head.in_features - net.lstm.hidden_size,
                                               net.lstm.hidden_size, net.head.out_features), net)
        return twin

    def _predict(self, past: np.ndarray, extra: np.ndarray) -> np.ndarray:
        return np.asarray(self.net_.predict_on_batch([past, extra]))
