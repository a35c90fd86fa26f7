"""The one PyTorch training loop of every chapter: batches, loss, optimizer, clipping.

The bookkeeping around it (validation after each epoch, early stopping, the best epoch's
weights restored, wall and CPU seconds per epoch) is :func:`companion.training.run_epochs`,
shared with :func:`companion.keras.fit`, which has the same signature.
"""
from __future__ import annotations

import copy
from typing import Callable, Iterable

import numpy as np
import torch

from ..training import History, run_epochs

__all__ = ["History", "fit", "to_device", "torch_permutation"]


def to_device(batch, device):
    """Move a tensor, or a tuple/list/dict of tensors (NumPy arrays are converted), to ``device``."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, np.ndarray):
        return torch.as_tensor(batch).to(device)
    if isinstance(batch, dict):
        return {k: to_device(v, device) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(b, device) for b in batch)
    return batch


def torch_permutation(seed: int = 0):
    """``n -> torch.randperm(n)`` drawn from one ``torch.Generator`` seeded with ``seed``: the
    ``permutation`` argument of :func:`companion.data.batch_stream` for the PyTorch loops."""
    gen = torch.Generator().manual_seed(int(seed))
    return lambda n: torch.randperm(n, generator=gen)


def _model_device(model) -> torch.device:
    try:
        return next(model.parameters()).device
    except StopIteration:
        return torch.device("cpu")


def fit(
    model: torch.nn.Module,
    batches: Callable[[], Iterable],
    loss_fn: Callable,
    *,
    evaluate: Callable[[torch.nn.Module], float] | None = None,
    epochs: int = 10,
    lr: float = 1e-3,
    weight_decay: float = 0.0,
    optimizer: torch.optim.Optimizer | None = None,
    clip_grad_norm: float | None = None,
    patience: int | None = None,
    mode: str = "max",
    metric: str | None = None,
    device=None,
    progress: bool = False,
) -> History:
    """Train ``model`` and return its :class:`~companion.training.History`.

    ``batches()`` yields one epoch of batches (tensors or NumPy arrays, moved to ``device``;
    :func:`companion.data.batch_stream` makes one); ``loss_fn(model, batch)`` returns the scalar
    loss of a batch; ``evaluate(model)`` returns the validation score (or ``None`` for an epoch
    not evaluated), computed after every epoch in eval mode without gradients; ``metric`` names
    it in the history. Adam with ``lr`` and ``weight_decay`` (added to the gradient, PyTorch's
    convention) unless an ``optimizer`` is given; ``clip_grad_norm`` clips the global gradient
    norm. ``device`` defaults to where the model is. Training stops after ``patience`` epochs
    without improvement, and the weights of the best epoch (by ``evaluate``, or by training loss
    without it) are restored; the model is left in eval mode.
    """
    device = _model_device(model) if device is None else torch.device(device)
    model.to(device)
    opt = optimizer or torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)

    def train_epoch(epoch):
        model.train()
        total, n = 0.0, 0
        for batch in batches():
            batch = to_device(batch, device)
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model, batch)
            if not torch.isfinite(loss):
                raise FloatingPointError(f"loss became {loss.item()} at epoch {epoch}; lower the learning rate")
            loss.backward()
            if clip_grad_norm is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip_grad_norm)
            opt.step()
            total += loss.item()
            n += 1
        if n == 0:
            raise ValueError("batches() yielded no batch")
        return total / n

    def validate():
        model.eval()
        with torch.no_grad():
            return evaluate(model)

    hist = run_epochs(train_epoch, evaluate=None if evaluate is None else validate,
                      get_weights=lambda: copy.deepcopy(model.state_dict()), set_weights=model.load_state_dict,
                      epochs=epochs, patience=patience, mode=mode, metric=metric, progress=progress)
    model.eval()
    return hist
