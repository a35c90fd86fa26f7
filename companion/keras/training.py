"""The Keras mirror of :func:`companion.torch.fit`, with the same signature: it compiles the model
with Adam and the loss, trains it on the batches one ``train_on_batch`` at a time, and leaves the
bookkeeping (validation after each epoch, early stopping, best weights, wall and CPU seconds per
epoch) to :func:`companion.training.run_epochs`, which the PyTorch loop shares.
"""
from __future__ import annotations

from typing import Callable, Iterable

import keras

from ..training import History, run_epochs

__all__ = ["History", "fit"]


def fit(
    model: keras.Model,
    batches: Callable[[], Iterable],
    loss_fn: Callable | None,
    *,
    evaluate: Callable[[keras.Model], float] | None = None,
    epochs: int = 10,
    lr: float = 1e-3,
    weight_decay: float = 0.0,
    optimizer: keras.optimizers.Optimizer | None = None,
    clip_grad_norm: float | None = None,
    patience: int | None = None,
    mode: str = "max",
    metric: str | None = None,
    device=None,
    progress: bool = False,
) -> History:
    """Train ``model`` and return its :class:`~companion.training.History` (as :func:`companion.torch.fit`).

    ``batches()`` yields one epoch of ``(x, y)`` (or ``(x, y, sample_weight)``) NumPy batches
    (:func:`companion.data.batch_stream` makes one). ``loss_fn`` is a Keras loss,
    ``loss(y_true, y_pred)``: the model is compiled here with it and ``optimizer`` (default
    ``Adam(lr)``, with ``weight_decay`` applied decoupled, AdamW-style, where PyTorch's Adam adds
    it to the gradient; ``clip_grad_norm`` clips the global norm, as
    ``torch.nn.utils.clip_grad_norm_``). ``loss_fn=None`` keeps the model's own compilation
    (its optimizer's state carries on). ``evaluate(model)`` gives the validation score after each
    epoch (``None``: not evaluated). ``device`` is accepted for symmetry and not used: Keras
    places the work itself, on the GPU when its backend sees one.
    """
    if loss_fn is not None:
        opt = optimizer or keras.optimizers.Adam(learning_rate=lr, weight_decay=weight_decay or None,
                                                 global_clipnorm=clip_grad_norm)
        model.compile(optimizer=opt, loss=loss_fn)
    elif getattr(model, "optimizer", None) is None or getattr(model, "loss", None) is None:
        raise ValueError("loss_fn=None needs a compiled model (optimizer and loss)")

    def train_epoch(epoch):
        total, n = 0.0, 0
        for batch in batches():
            x, y, sw = (tuple(batch) + (None,))[:3]
            logs = model.train_on_batch(x, y, sample_weight=sw, return_dict=True)
            total += float(logs["loss"])
            n += 1
        if n == 0:
            raise ValueError("batches() yielded no batch")
        return total / n

    return run_epochs(train_epoch, evaluate=None if evaluate is None else (lambda: evaluate(model)),
                      get_weights=model.get_weights, set_weights=model.set_weights,
                      epochs=epochs, patience=patience, mode=mode, metric=metric, progress=progress)
