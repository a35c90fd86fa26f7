"""The next-item training and evaluation harness (PyTorch), shared by every sequential
recommender in the book (GRU4Rec, LSTM4Rec, Caser, SASRec, ...).

Protocol (RecBole's sequential quick start): chronological leave-one-out split
(:func:`companion.data.sequences.leave_one_out`), cross-entropy over all items, early
stopping on validation NDCG@10, the **best** epoch's weights restored before testing, full
ranking over all items at evaluation, inputs cut to the last ``max_len`` items.

The model contract
------------------
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

import math
import time

import numpy as np
import torch
import torch.nn.functional as F

from ..data.sequences import pad_left
from ..next_item import causal_windows, evaluate_scores, mask_padding, prefix_examples
from ..training_history import History
from .training import fit

__all__ = ["fit_next_item", "evaluate_next_item", "score_next_item", "user_vectors", "next_item_loss"]


def is_causal(model) -> bool:
    return bool(getattr(model, "causal", False))


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
    device=None,
    progress: bool = False,
    eval_every: int = 1,
    seed: int = 0,
) -> History:
    """Train a next-item model on ``split.train``; early-stop on validation NDCG@10.

    ``batch_size`` counts training rows: windows of up to ``max_len`` targets for a causal
    model, single prefixes for a non-causal one. ``eval_every=k`` computes the validation
    score every k-th epoch only (the others are recorded as NaN); ``patience`` counts
    epochs. Returns the :class:`History` (plus ``epoch_cpu_seconds``: the process's CPU time
    spent training in each epoch, a measure a busy shared machine does not inflate); the
    model holds the best epoch's weights.
    """
    if eval_every < 1:
        raise ValueError(f"eval_every must be >= 1, got {eval_every}")
    if device is None:
        from .. import device as _best_device

        device = _best_device()
    model.to(device)
    if is_causal(model):
        x, y = causal_windows(split.train, max_len)
    else:
        x, y = prefix_examples(split.train, max_len)
    x_t, y_t = torch.from_numpy(x), torch.from_numpy(y)
    gen = torch.Generator().manual_seed(seed)

    def batches():
        order = torch.randperm(len(x_t), generator=gen)
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            yield x_t[idx], y_t[idx]

    epoch, cpu, clock = [0], [], [time.process_time()]

    def evaluate(m):
        now = time.process_time()  # CPU time of this process: unlike wall time, not inflated by a busy machine
        cpu.append(now - clock[0])
        epoch[0] += 1
        try:
            if epoch[0] % eval_every:
                return -math.inf  # not evaluated this epoch: never an improvement
            return evaluate_next_item(m, split, "valid", max_len=max_len)["ndcg@10"]
        finally:
            clock[0] = time.process_time()

    hist = fit(model, batches, next_item_loss, evaluate=evaluate, epochs=epochs, lr=lr,
               weight_decay=weight_decay, clip_grad_norm=clip_grad_norm, patience=patience,
               mode="max", device=device, progress=progress)
    hist.valid = [math.nan if v == -math.inf else v for v in hist.valid]
    hist.epoch_cpu_seconds = cpu  # training CPU seconds per epoch (all threads), validation excluded
    return hist


def _model_device(model) -> torch.device:
    try:
        return next(model.parameters()).device
    except StopIteration:
        return torch.device("cpu")


@torch.no_grad()
def _last_outputs(model, inputs, max_len: int, batch_size: int, encode: bool) -> np.ndarray:
    x = torch.from_numpy(pad_left(inputs, max_len))
    dev = _model_device(model)
    was_training = model.training
    model.eval()
    out = []
    for start in range(0, len(x), batch_size):
        xb = x[start:start + batch_size].to(dev)
        o = model.encode(xb) if encode else model(xb)
        if o.dim() == 3:  # causal: the last position predicts the next item
            o = o[:, -1]
        out.append(o.float().cpu().numpy())
    model.train(was_training)
    return np.concatenate(out).astype(np.float64)


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

    ``exclude_seen=False`` (RecBole's default) keeps items the user has already seen in the
    ranking; ``True`` removes them.
    """
    scores = score_next_item(model, split.inputs(part), max_len)
    return evaluate_scores(scores, split, part, ks=ks, exclude_seen=exclude_seen)
