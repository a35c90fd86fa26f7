"""One PyTorch training loop for every chapter: batches, loss, optimizer, validation,
early stopping, and the best epoch's weights restored at the end."""
from __future__ import annotations

import copy
import math
import time
from typing import Callable, Iterable

import torch
from tqdm import tqdm  # not tqdm.auto: it warns (stderr) in Jupyter when ipywidgets is missing

from ..training_history import History, check_mode

__all__ = ["History", "fit", "to_device"]


def to_device(batch, device):
    """Move a tensor, or a tuple/list/dict of tensors (arrays are converted), to ``device``."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        return {k: to_device(v, device) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(b, device) for b in batch)
    try:
        import numpy as np

        if isinstance(batch, np.ndarray):
            return torch.as_tensor(batch).to(device)
    except ImportError:  # pragma: no cover
        pass
    return batch


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
    device=None,
    progress: bool = False,
) -> History:
    """Train ``model`` and return its :class:`History`.

    ``batches()`` yields one epoch of batches; ``loss_fn(model, batch)`` returns the
    scalar loss of a batch (already on ``device``); ``evaluate(model)`` returns the
    validation score, computed after every epoch in eval mode without gradients.
    Training stops after ``patience`` epochs without improvement, and the weights of
    the best epoch (by ``evaluate``, or by training loss without it) are restored.
    """
    check_mode(mode)
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    if device is None:
        device = next(model.parameters()).device
    model.to(device)
    opt = optimizer or torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    hist, best_state, since_best = History(), None, 0
    bar = tqdm(range(1, epochs + 1), disable=not progress, desc="epochs", leave=False)
    for epoch in bar:
        start, total, n = time.perf_counter(), 0.0, 0
        model.train()
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
        hist.train_loss.append(total / n)
        hist.epoch_seconds.append(time.perf_counter() - start)
        if evaluate is not None:
            model.eval()
            with torch.no_grad():
                score = float(evaluate(model))
            watch, watch_mode = score, mode
        else:
            score, watch, watch_mode = math.nan, hist.train_loss[-1], "min"
        hist.valid.append(score)
        if hist.improved(watch, watch_mode):
            hist.best_epoch, hist.best_score = epoch, watch
            best_state = copy.deepcopy(model.state_dict())
            since_best = 0
        else:
            since_best += 1
        bar.set_postfix(loss=f"{hist.train_loss[-1]:.4f}", valid=f"{score:.4f}")
        if patience is not None and since_best >= patience:
            break
    model.load_state_dict(best_state)
    model.eval()
    return hist
