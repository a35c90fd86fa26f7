"""The next-item training and evaluation harness (Keras 3). Mirrors
:mod:`companion.torch.next_item`: same functions, same arguments, same protocol.

A causal Keras model (``model.causal = True``) maps ``(B, L)`` left-padded ids to
``(B, L, n_items)`` logits and is trained on :func:`companion.next_item.causal_windows`
with a loss over every non-padding position at once; other models map ``(B, L)`` to
``(B, n_items)`` and are trained on materialised prefixes. Column 0 (padding) is left
out of the softmax and scores ``-inf`` at evaluation.
"""
from __future__ import annotations

import keras
import numpy as np
from keras import ops

from ..data.sequences import batch_stream
from ..next_item import evaluate_scores, last_position_outputs, mask_padding, training_rows, validation
from ..training import History
from .training import fit

__all__ = ["fit_next_item", "evaluate_next_item", "score_next_item", "user_vectors", "next_item_loss"]


def next_item_loss(y_true, y_pred):
    """Mean cross-entropy over all items (column 0 excluded) at every position with a
    target (``y_true > 0``); works for ``(B, L)`` and ``(B,)`` targets."""
    y = ops.cast(y_true, "int32")
    logp = ops.log_softmax(y_pred[..., 1:], axis=-1)
    idx = ops.expand_dims(ops.maximum(y - 1, 0), -1)
    nll = -ops.squeeze(ops.take_along_axis(logp, idx, axis=-1), -1)
    keep = ops.cast(y > 0, nll.dtype)
    return ops.sum(nll * keep) / ops.maximum(ops.sum(keep), 1.0)


def fit_next_item(
    model: keras.Model,
    split,
    *,
    max_len: int = 50,
    epochs: int = 30,
    batch_size: int = 128,
    lr: float = 1e-3,
    weight_decay: float = 0.0,
    patience: int | None = 5,
    clip_grad_norm: float | None = None,
    ks=(10,),
    device=None,
    progress: bool = False,
    eval_every: int = 1,
    seed: int = 0,
    stride: int | None = None,
) -> History:
    """Train a next-item model on ``split.train`` with Adam and :func:`next_item_loss`; early-stop
    on validation NDCG at ``ks[0]`` and restore the best epoch's weights (as
    :func:`companion.torch.fit_next_item`, with the same arguments).

    ``seed`` seeds Keras and the batch order (:func:`companion.data.batch_stream`); ``device``
    is accepted for symmetry (Keras places the work itself); ``weight_decay`` is decoupled
    (see :func:`companion.keras.fit`).
    """
    evaluate, metric = validation(evaluate_next_item, split, max_len=max_len, ks=ks, eval_every=eval_every)
    keras.utils.set_random_seed(seed)
    x, y = training_rows(model, split, max_len, stride)
    return fit(model, batch_stream(x, y, batch_size=batch_size, seed=seed), next_item_loss, evaluate=evaluate,
               epochs=epochs, lr=lr, weight_decay=weight_decay, clip_grad_norm=clip_grad_norm, patience=patience,
               mode="max", metric=metric, device=device, progress=progress)


def _last_outputs(model, inputs, max_len: int, batch_size: int, encode: bool) -> np.ndarray:
    def forward(xb):
        o = model.encode(xb, training=False) if encode else model(xb, training=False)
        if len(o.shape) == 3:  # causal: the last position predicts the next item
            o = o[:, -1]
        return ops.convert_to_numpy(o)

    return last_position_outputs(forward, inputs, max_len, batch_size)


def score_next_item(model, inputs, max_len: int = 50, *, batch_size: int = 256) -> np.ndarray:
    """Scores ``(n, n_items)`` of every item as the next one; padding column ``-inf``.
    Fitted baselines (``.score``) are accepted too."""
    if not isinstance(model, keras.Model) and hasattr(model, "score"):
        return mask_padding(np.asarray(model.score(inputs), dtype=np.float64).copy())
    return mask_padding(_last_outputs(model, inputs, max_len, batch_size, encode=False))


def user_vectors(model, inputs, max_len: int = 50, *, batch_size: int = 256) -> np.ndarray:
    """``model.encode`` at the last position (GRU4Rec: the final hidden state)."""
    if not hasattr(model, "encode"):
        raise TypeError(f"{type(model).__name__} has no encode() method")
    return _last_outputs(model, inputs, max_len, batch_size, encode=True)


def evaluate_next_item(model, split, part: str = "test", *, max_len: int = 50, ks=(10,),
                       exclude_seen: bool = False) -> dict:
    """Full-ranking ``{"hit@K", "ndcg@K", "mrr@K"}`` on the ``part`` targets."""
    scores = score_next_item(model, split.inputs(part), max_len)
    return evaluate_scores(scores, split, part, ks=ks, exclude_seen=exclude_seen)
