"""Training bookkeeping shared by the PyTorch and Keras loops (framework-neutral).

:func:`run_epochs` is the one epoch loop of the companion: it times each epoch (wall and CPU
seconds), asks for a validation score, stops early after ``patience`` epochs without
improvement, keeps the best epoch's weights and restores them at the end. The framework
code (:func:`companion.torch.fit`, :func:`companion.keras.fit`) supplies only what differs:
how one epoch is trained and how weights are copied.
"""
from __future__ import annotations

import math
import numbers
import time
from dataclasses import dataclass, field
from typing import Callable

__all__ = ["History", "check_mode", "run_epochs"]


@dataclass
class History:
    """Per-epoch losses, validation scores and times of one training run.

    ``valid`` holds NaN for an epoch that was not evaluated. ``epoch_seconds`` is the wall
    time of each epoch's training (validation excluded); ``epoch_cpu_seconds`` the CPU time
    this process spent on it (all threads), a measure a busy shared machine does not inflate.
    ``metric`` names what ``best_score`` is (e.g. ``"ndcg@10"``, or ``"train_loss"`` when
    there was no validation). ``best_epoch`` is 1-based; the model handed back holds that
    epoch's weights.
    """

    train_loss: list = field(default_factory=list)
    valid: list = field(default_factory=list)
    epoch_seconds: list = field(default_factory=list)
    epoch_cpu_seconds: list = field(default_factory=list)
    best_epoch: int = 0
    best_score: float = float("nan")
    metric: str | None = None

    @property
    def epochs(self) -> int:
        return len(self.train_loss)

    def improved(self, score: float, mode: str) -> bool:
        """Whether ``score`` beats the best so far (``mode`` is ``"max"`` or ``"min"``)."""
        if self.best_epoch == 0:
            return True
        return score > self.best_score if mode == "max" else score < self.best_score

    def seconds_to_best(self) -> float:
        """Training time (s) up to and including the best epoch."""
        return float(sum(self.epoch_seconds[: self.best_epoch]))


def check_mode(mode: str) -> str:
    if mode not in ("max", "min"):
        raise ValueError(f"mode must be 'max' or 'min', got {mode!r}")
    return mode


def run_epochs(
    train_epoch: Callable[[int], float],
    *,
    evaluate: Callable[[], float | None] | None,
    get_weights: Callable[[], object],
    set_weights: Callable[[object], None],
    epochs: int,
    patience: int | None = None,
    mode: str = "max",
    metric: str | None = None,
    progress: bool = False,
) -> History:
    """Run up to ``epochs`` epochs and return the :class:`History`; the best weights are restored.

    ``train_epoch(epoch)`` trains one epoch and returns its mean training loss.
    ``evaluate()`` returns the validation score after an epoch, or ``None`` for an epoch that
    is not evaluated (recorded as NaN, never an improvement); without ``evaluate`` the
    training loss is watched (``mode="min"``). ``get_weights()`` returns a copy of the
    weights, ``set_weights(w)`` puts a copy back. Training stops after ``patience`` epochs
    without improvement (``None``: never).
    """
    from tqdm import tqdm  # not tqdm.auto: it warns (stderr) in Jupyter when ipywidgets is missing

    check_mode(mode)
    if isinstance(epochs, bool) or not isinstance(epochs, numbers.Integral) or epochs < 1:
        raise ValueError(f"epochs must be an int >= 1, got {epochs!r}")
    if patience is not None and patience < 1:
        raise ValueError(f"patience must be >= 1 or None, got {patience!r}")
    hist = History(metric=metric if evaluate is not None else "train_loss")
    best_weights, since_best = None, 0
    worst = -math.inf if mode == "max" else math.inf
    bar = tqdm(range(1, epochs + 1), disable=not progress, desc="epochs", leave=False)
    for epoch in bar:
        wall, cpu = time.perf_counter(), time.process_time()
        loss = float(train_epoch(epoch))
        if not math.isfinite(loss):
            raise FloatingPointError(f"the training loss became {loss} at epoch {epoch}; lower the learning rate")
        hist.epoch_seconds.append(time.perf_counter() - wall)
        hist.epoch_cpu_seconds.append(time.process_time() - cpu)
        hist.train_loss.append(loss)
        if evaluate is not None:
            score = evaluate()
            score = math.nan if score is None else float(score)
            watch, watch_mode = (worst if math.isnan(score) else score), mode
        else:
            score, watch, watch_mode = math.nan, loss, "min"
        hist.valid.append(score)
        if hist.improved(watch, watch_mode):
            hist.best_epoch, hist.best_score = epoch, watch
            best_weights = get_weights()
            since_best = 0
        else:
            since_best += 1
        bar.set_postfix(loss=f"{loss:.4f}", valid=f"{score:.4f}")
        if patience is not None and since_best >= patience:
            break
    set_weights(best_weights)
    return hist
