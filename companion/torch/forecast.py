"""LSTM forecaster (PyTorch): direct multi-step output, trained with :func:`companion.torch.training.fit`.

Mirrors :mod:`companion.keras.forecast`. The network is :class:`companion.torch.rnn.LSTMForecastNet`. The framework-neutral work (``log1p`` + scaling fitted on
the training part only, windows, validation split, the walk-forward protocol) is in
:class:`companion.forecasting.WindowedNeuralForecaster`.
"""
from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import torch
from torch import nn

from ..data.sequences import batch_stream
from ..forecasting import WindowedNeuralForecaster, Windows
from .rnn import LSTMForecastNet
from .training import fit, torch_permutation

__all__ = ["LSTMForecaster"]


@contextmanager
def _one_thread():
    """A net this small trains fastest on one CPU thread: with more, OpenMP's spin-waiting
    costs more than the parallel work saves (100x slower on a busy 2-core machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


class LSTMForecaster(WindowedNeuralForecaster):
    """Direct ``horizon``-step LSTM forecaster (see :class:`~companion.forecasting.WindowedNeuralForecaster`
    for the protocol). Adam, MSE on the scaled values, minibatches shuffled with a seeded generator,
    early stopping on the validation MSE with the best epoch's weights kept. Trains on ``device``
    (default: the CPU, one thread, which is fastest for a net this small)."""

    name = "LSTM (PyTorch)"

    def _train(self, train: Windows, valid: Windows):
        torch.manual_seed(self.seed)
        dev = torch.device("cpu") if self.device is None else torch.device(self.device)
        f32 = lambda a: torch.as_tensor(a, dtype=torch.float32)  # noqa: E731
        past, extra, target = f32(train.past), f32(train.extra), f32(train.target)
        vp, ve, vt = (f32(a).to(dev) for a in (valid.past, valid.extra, valid.target))
        self.net_ = LSTMForecastNet(past.shape[2], extra.shape[1], self.hidden, self.horizon)
        batches = batch_stream((past, extra), target, batch_size=self.batch_size,
                               permutation=torch_permutation(self.seed))

        def loss_fn(model, batch):
            (p, e), t = batch
            return nn.functional.mse_loss(model(p, e), t)

        def evaluate(model):
            return nn.functional.mse_loss(model(vp, ve), vt).item()

        with _one_thread():
            return fit(self.net_, batches, loss_fn, evaluate=evaluate, epochs=self.epochs, lr=self.lr,
                       patience=self.patience, mode="min", device=dev)

    def _predict(self, past: np.ndarray, extra: np.ndarray) -> np.ndarray:
        self.net_.eval()
        dev = next(self.net_.parameters()).device
        with _one_thread(), torch.no_grad():
            return self.net_(torch.as_tensor(past).to(dev), torch.as_tensor(extra).to(dev)).cpu().numpy()
