"""The next-item training and evaluation harness (PyTorch), shared by every sequential
recommender in the book (GRU4Rec, LSTM4Rec, Caser, SASRec, ...).

Protocol (RecBole's sequential quick start): chronological leave-one-out split
(:func:`companion.data.sequences.leave_one_out`), cross-entropy over all items, early
stopping on validation NDCG@10 (NDCG at the first cutoff of ``ks``), the **best** epoch's weights restored before testing, full
ranking over all items at evaluation, inputs cut to the last ``max_len`` items.

The model contract (:class:`companion.next_item.NextItemModel`)
----------------------------------------------------------------
* ``model.causal = True``: ``model(x)`` maps a ``(B, L)`` int64 tensor of left-padded ids
  (0 = padding) to ``(B, L, n_items)`` logits; position ``t`` predicts the item after
  position ``t``, and may look only at positions ``<= t``. Training computes the
  cross-entropy at every non-padding position of a window **in one pass**, so a sequence
  of 50 items gives 50 training targets for the price of one forward pass.
* otherwise: ``model(x)`` maps ``(B, L)`` to ``(B, n_items)``; it is trained on
  materialised prefixes (every prefix of each training sequence predicts its next item).

Column 0 of the logits is the padding "item": it is left out of the softmax in training
and gets score ``-inf`` at evaluation.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..data.sequences import batch_stream
from ..next_item import evaluate_scores, last_position_outputs, mask_padding, training_rows, validation
from ..training import History
from .training import _model_device, fit, torch_permutation

__all__ = ["fit_next_item", "evaluate_next_item", "score_next_item", "user_vectors", "next_item_loss"]


def next_item_loss(model, batch) -> torch.Tensor:
    """Mean cross-entropy over all items (padding column excluded) of one batch.

    Causal batch ``(x, y)`` with ``y`` shaped like ``x`` (0 = no target): every position
    with a target counts once. Non-causal batch: ``y`` has shape ``(B,)``.
    """
    x, y = batch
    logits = model(x)
    if logits.dim() == 3:
        keep = y > 0
        logits, y = logits[keep], y[keep]
    return F.cross_entropy(logits[:, 1:], y - 1)


def fit_next_item(
    model: torch.nn.Module,
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
    """Train a next-item model on ``split.train``; early-stop on validation NDCG at ``ks[0]``.

    ``batch_size`` counts training rows: windows of up to ``max_len`` targets for a causal
    model, single prefixes for a non-causal one. ``eval_every=k`` computes the validation
    score every k-th epoch only (the others are recorded as NaN); ``patience`` counts
    epochs. ``stride`` (causal models only) overlaps the training windows
    (:func:`companion.next_item.causal_windows`); ``None`` keeps them consecutive.
    ``device`` defaults to :func:`companion.device`. Returns the
    :class:`~companion.training.History` (with ``epoch_cpu_seconds``, the process's CPU time
    spent training in each epoch); the model holds the best epoch's weights.
    """
    evaluate, metric = validation(evaluate_next_item, split, max_len=max_len, ks=ks, eval_every=eval_every)
    if device is None:
        from .. import device as _best_device

        device = _best_device()
    x, y = training_rows(model, split, max_len, stride)
    batches = batch_stream(torch.from_numpy(x), torch.from_numpy(y), batch_size=batch_size,
                           permutation=torch_permutation(seed))
    return fit(model, batches, next_item_loss, evaluate=evaluate, epochs=epochs, lr=lr,
               weight_decay=weight_decay, clip_grad_norm=clip_grad_norm, patience=patience,
               mode="max", metric=metric, device=device, progress=progress)


@torch.no_grad()
def _last_outputs(model, inputs, max_len: int, batch_size: int, encode: bool) -> np.ndarray:
    dev = _model_device(model)
    was_training = model.training
    model.eval()

    def forward(xb):
        xb = torch.from_numpy(xb).to(dev)
        o = model.encode(xb) if encode else model(xb)
        if o.dim() == 3:  # causal: the last position predicts the next item (sliced on the device)
            o = o[:, -1]
        return o.float().cpu().numpy()

    try:
        return last_position_outputs(forward, inputs, max_len, batch_size)
    finally:
        model.train(was_training)


def score_next_item(model, inputs, max_len: int = 50, *, batch_size: int = 256) -> np.ndarray:
    """Scores ``(n, n_items)`` of every item as the next one after each input sequence.

    ``inputs``: a list of id arrays (any lengths; the last ``max_len`` items are used).
    Works for PyTorch models (causal or not) and for fitted baselines (``.score``).
    The padding column 0 is ``-inf``.
    """
    if not isinstance(model, torch.nn.Module) and hasattr(model, "score"):
        return mask_padding(np.asarray(model.score(inputs), dtype=np.float64).copy())
    return mask_padding(_last_outputs(model, inputs, max_len, batch_size, encode=False))


def user_vectors(model, inputs, max_len: int = 50, *, batch_size: int = 256) -> np.ndarray:
    """The model's summary of each input sequence: ``model.encode`` at the last position
    (for GRU4Rec, the final hidden state). Used as a user embedding."""
    if not hasattr(model, "encode"):
        raise TypeError(f"{type(model).__name__} has no encode() method")
    return _last_outputs(model, inputs, max_len, batch_size, encode=True)


def evaluate_next_item(model, split, part: str = "test", *, max_len: int = 50, ks=(10,),
                       exclude_seen: bool = False) -> dict:
    """Full-ranking ``{"hit@K", "ndcg@K", "mrr@K"}`` on the ``part`` ("valid"/"test") targets.
    ``model`` is a PyTorch model or a fitted baseline (:class:`companion.next_item.Scorer`).

    ``exclude_seen=False`` (RecBole's default) keeps items the user has already seen in the
    ranking; ``True`` removes them.
    """
    scores = score_next_item(model, split.inputs(part), max_len)
    return evaluate_scores(scores, split, part, ks=ks, exclude_seen=exclude_seen)
