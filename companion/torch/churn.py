"""Churn models (PyTorch): a recurrent network with a discrete-time hazard head, and the losses and
predictions of the two churn tasks. Mirrors :mod:`companion.keras.churn`.

:class:`RecurrentHazard` reads a user's activity sequence with a GRU (or LSTM) and maps its last
hidden state to ``n_periods`` logits, one per period after the landmark: the logistic hazard
``h_k = sigmoid(logit_k)`` of Kvamme & Borgan (2019) (pycox's ``LogisticHazard``). It trains on the
person-period rows of :func:`companion.survival.hazard_targets`: binary cross-entropy of every period
a user was at risk, 1 in the period of the event (:func:`hazard_loss`, summed over periods and
averaged over users, as pycox does); ``S(k) = prod_{j<=k} (1 - h_j)``.

The fixed-window classifier is :class:`companion.torch.RecurrentClassifier` (chapter 3's) with one
output logit, trained with :func:`window_loss`.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .._checks import check_int

__all__ = ["RecurrentHazard", "hazard_loss", "predict_hazard", "predict_window", "window_loss"]

_KINDS = {"gru": nn.GRU, "lstm": nn.LSTM}


class RecurrentHazard(nn.Module):
    """``(batch, time, input_size)`` → GRU/LSTM → last hidden state → ``(batch, n_periods)`` hazard logits."""

    def __init__(self, input_size: int, hidden_size: int, n_periods: int, *, kind: str = "gru"):
        super().__init__()
        if kind not in _KINDS:
            raise ValueError(f"kind must be one of {sorted(_KINDS)}, got {kind!r}")
        self.kind = kind
        self.input_size = check_int("input_size", input_size)
        self.n_periods = check_int("n_periods", n_periods)
        self.rnn = _KINDS[kind](self.input_size, check_int("hidden_size", hidden_size), batch_first=True)
        self.head = nn.Linear(hidden_size, self.n_periods)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 3 or x.shape[-1] != self.input_size:
            raise ValueError(f"x must be (batch, time, {self.input_size}), got {tuple(x.shape)}")
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


def hazard_loss(model: nn.Module, batch) -> torch.Tensor:
    """Person-period binary cross-entropy for a batch ``(x, y)``, ``y = [target | mask]`` ``(B, 2K)``."""
    x, y = batch
    logits = model(x)
    k = logits.shape[1]
    target, mask = y[:, :k].float(), y[:, k:].float()
    bce = nn.functional.binary_cross_entropy_with_logits(logits, target, reduction="none")
    return (bce * mask).sum(1).mean()


def window_loss(model: nn.Module, batch) -> torch.Tensor:
    """Binary cross-entropy on the one logit of a window classifier, batch ``(x, label)``."""
    x, y = batch
    return nn.functional.binary_cross_entropy_with_logits(model(x).reshape(-1), y.float().reshape(-1))


@torch.no_grad()
def _predict(model, x, batch_size):
    was = model.training
    model.eval()
    dev = next(model.parameters()).device
    x = torch.as_tensor(np.asarray(x, dtype=np.float32))
    out = torch.cat([torch.sigmoid(model(x[s:s + batch_size].to(dev))).cpu() for s in range(0, len(x), batch_size)])
    model.train(was)
    return out.double().numpy()


def predict_hazard(model: nn.Module, x, batch_size: int = 4096) -> np.ndarray:
    """Hazards ``(n, n_periods)`` (sigmoid of the logits), eval mode, float64 NumPy."""
    return _predict(model, x, batch_size)


def predict_window(model: nn.Module, x, batch_size: int = 4096) -> np.ndarray:
    """Churn probabilities ``(n,)`` of a one-logit window classifier."""
    return _predict(model, x, batch_size).reshape(-1)
