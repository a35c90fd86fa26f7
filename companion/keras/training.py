"""The Keras mirror of :func:`companion.torch.training.fit`: ``model.fit`` one epoch at a
time, a validation score after each, early stopping, and the best weights restored."""
from __future__ import annotations

import math
import time
from typing import Callable

import keras
from tqdm import tqdm  # not tqdm.auto: it warns (stderr) in Jupyter when ipywidgets is missing

from ..training_history import History, check_mode

__all__ = ["History", "fit"]


def fit(
    model: keras.Model,
    x,
    y=None,
    *,
    evaluate: Callable[[keras.Model], float] | None = None,
    validation_data=None,
    epochs: int = 10,
    batch_size: int = 256,
    patience: int | None = None,
    mode: str = "max",
    shuffle: bool = True,
    sample_weight=None,
    progress: bool = False,
) -> History:
    """Train a compiled Keras model; return its :class:`History`.

    ``evaluate(model)`` gives the validation score after each epoch; without it,
    ``validation_data=(x_val, y_val)`` is used and the score is minus the validation
    loss (so ``mode`` is forced to ``"max"``). Without either, training loss is watched.
    """
    check_mode(mode)
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    if getattr(model, "optimizer", None) is None or getattr(model, "loss", None) is None:
        raise ValueError("compile the model (optimizer and loss) before calling fit")
    if evaluate is None and validation_data is not None:
        xv, yv = validation_data
        evaluate = lambda m: -float(m.evaluate(xv, yv, batch_size=batch_size, verbose=0, return_dict=True)["loss"])  # noqa: E731
        mode = "max"
    hist, best_weights, since_best = History(), None, 0
    bar = tqdm(range(1, epochs + 1), disable=not progress, desc="epochs", leave=False)
    for epoch in bar:
        start = time.perf_counter()
        h = model.fit(x, y, batch_size=batch_size, epochs=1, shuffle=shuffle,
                      sample_weight=sample_weight, verbose=0)
        hist.train_loss.append(float(h.history["loss"][-1]))
        hist.epoch_seconds.append(time.perf_counter() - start)
        if evaluate is not None:
            score = float(evaluate(model))
            watch, watch_mode = score, mode
        else:
            score, watch, watch_mode = math.nan, hist.train_loss[-1], "min"
        hist.valid.append(score)
        if hist.improved(watch, watch_mode):
            hist.best_epoch, hist.best_score = epoch, watch
            best_weights = model.get_weights()
            since_best = 0
        else:
            since_best += 1
        bar.set_postfix(loss=f"{hist.train_loss[-1]:.4f}", valid=f"{score:.4f}")
        if patience is not None and since_best >= patience:
            break
    model.set_weights(best_weights)
    return hist
