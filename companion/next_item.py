"""Framework-neutral parts of the next-item harness (NumPy only).

The PyTorch and Keras harnesses (:mod:`companion.torch.next_item`,
:mod:`companion.keras.next_item`) share these: how training sequences become training
rows, and how a score matrix becomes Hit/NDCG/MRR on a :class:`SequenceSplit`.

Two kinds of model
------------------
* A **causal** model (``model.causal = True``: GRU4Rec, LSTM4Rec, SASRec) maps a
  ``(B, L)`` array of left-padded item ids (0 = padding) to ``(B, L, n_items)`` logits;
  position ``t`` predicts the item after position ``t``. One forward pass over a
  window trains every position at once. :func:`causal_windows` builds the rows.
* A **non-causal** model (Caser) maps ``(B, L)`` to ``(B, n_items)``: one prediction per
  row. It is trained on materialised prefixes, as RecBole does (every prefix of each
  training sequence predicts its next item). :func:`prefix_examples` builds the rows.

The contract is written down as two :class:`typing.Protocol` classes: :class:`NextItemModel`
(what ``fit_next_item``/``evaluate_next_item`` need of a neural model, in either framework) and
:class:`Scorer` (a fitted baseline). :func:`training_rows` and :func:`validation` are the parts
of ``fit_next_item`` the two frameworks share.
"""
from __future__ import annotations

from typing import Any, Callable, Protocol, runtime_checkable

import numpy as np

from .data.sequences import pad_left
from .metrics import ranking_metrics

__all__ = [
    "NextItemModel",
    "Scorer",
    "causal_windows",
    "early_stopping_metric",
    "last_position_outputs",
    "evaluate_scores",
    "evaluate_scorer",
    "prefix_examples",
    "mask_padding",
    "training_rows",
    "validation",
]


@runtime_checkable
class NextItemModel(Protocol):
    """A neural next-item model (PyTorch ``nn.Module`` or ``keras.Model``).

    ``causal``: ``True`` when ``model(x)`` maps ``(B, L)`` left-padded ids (0 = padding) to
    ``(B, L, n_items)`` logits, position ``t`` predicting the item after ``t`` from positions
    ``<= t`` only; ``False`` when it maps ``(B, L)`` to ``(B, n_items)``. Column 0 of the logits
    is the padding "item". ``encode(x)`` returns the hidden states behind the logits (``(B, L, d)``
    for a causal model, ``(B, d)`` otherwise); the last position is the user's summary
    (``user_vectors``). Keras models also take ``training=`` in ``__call__`` and ``encode``.
    """

    causal: bool

    def __call__(self, x: Any) -> Any: ...

    def encode(self, x: Any) -> Any: ...


@runtime_checkable
class Scorer(Protocol):
    """A fitted baseline (:mod:`companion.baselines`): ``score(inputs)`` maps a list of id
    sequences to an ``(n, n_items)`` score matrix (column 0 = padding)."""

    def score(self, inputs) -> np.ndarray: ...


def training_rows(model, split, max_len: int, stride: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The training rows of ``split.train`` for ``model``: :func:`causal_windows` (with ``stride``)
    for a causal model, :func:`prefix_examples` otherwise (``stride`` must then be ``None``)."""
    if getattr(model, "causal", False):
        return causal_windows(split.train, max_len, stride=stride)
    if stride is not None:
        raise ValueError("stride applies to causal models only; a non-causal model trains on every prefix")
    return prefix_examples(split.train, max_len)


def early_stopping_metric(ks=(10,)) -> str:
    """The validation metric ``fit_next_item`` stops on: NDCG at the first cutoff of ``ks``."""
    ks = tuple(ks)
    if not ks:
        raise ValueError("ks must name at least one cutoff")
    return f"ndcg@{int(ks[0])}"


def validation(evaluate_next_item: Callable, split, *, max_len: int, ks=(10,), eval_every: int = 1):
    """The validation callback of both ``fit_next_item``: ``(evaluate(model), metric name)``.

    ``evaluate(model)`` returns the :func:`early_stopping_metric` on ``split``'s validation
    targets every ``eval_every``-th call, and ``None`` (not evaluated) otherwise.
    """
    if isinstance(eval_every, bool) or int(eval_every) != eval_every or eval_every < 1:
        raise ValueError(f"eval_every must be >= 1, got {eval_every}")
    metric = early_stopping_metric(ks)
    calls = [0]

    def evaluate(model):
        calls[0] += 1
        if calls[0] % eval_every:
            return None
        return evaluate_next_item(model, split, "valid", max_len=max_len, ks=ks)[metric]

    return evaluate, metric


def causal_windows(seqs, max_len: int, stride: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Training rows for a causal model: ``(inputs, targets)``, both ``(N, max_len)`` int64.

    For a sequence ``s`` the inputs are ``s[:-1]`` and the targets ``s[1:]`` (shifted by
    one). A sequence with more than ``max_len`` targets is cut, from its end, into windows of
    ``max_len`` targets whose ends are ``stride`` targets apart (default ``stride = max_len``:
    consecutive, non-overlapping windows; the earliest window is the shortest). Every target is
    trained exactly once per epoch: in an overlapping window (``stride < max_len``) only its last
    ``stride`` targets are kept (the others were trained, with more context, in the next window),
    except in the earliest window, which keeps all of its targets. So with ``stride = max_len`` a
    target sees 1 to ``max_len`` items of context (fewer only where the user has fewer), and with
    a smaller stride at least ``max_len - stride + 1``. Both arrays are left-padded with 0, and a
    target of 0 means "no target here" (the loss ignores it). Sequences shorter than 2 give no
    target and no row.

    >>> x, y = causal_windows([np.array([1, 2, 3, 4])], max_len=2)
    >>> x.tolist(), y.tolist()
    ([[2, 3], [0, 1]], [[3, 4], [0, 2]])
    >>> x, y = causal_windows([np.array([1, 2, 3, 4])], max_len=2, stride=1)
    >>> x.tolist(), y.tolist()
    ([[2, 3], [1, 2]], [[0, 4], [2, 3]])
    """
    _check_len(max_len)
    if stride is None:
        stride = max_len
    if isinstance(stride, bool) or not isinstance(stride, (int, np.integer)) or not 1 <= stride <= max_len:
        raise ValueError(f"stride must be an int in 1..max_len={max_len}, got {stride!r}")
    xs, ys = [], []
    for s in seqs:
        s = np.asarray(s, dtype=np.int64)
        x, y = s[:-1], s[1:]
        for end in range(len(y), 0, -stride):
            start = max(0, end - max_len)
            first = start if start == 0 else end - stride  # targets trained in this window
            target = y[start:end].copy()
            target[: first - start] = 0
            xs.append(x[start:end])
            ys.append(target)
            if start == 0:
                break
    if not xs:
        raise ValueError("no training sequence has two or more items")
    return pad_left(xs, max_len), pad_left(ys, max_len)


def prefix_examples(seqs, max_len: int) -> tuple[np.ndarray, np.ndarray]:
    """Training rows for a non-causal model: every prefix predicts its next item.

    Returns ``(inputs (N, max_len), targets (N,))``: for each sequence ``s`` and each
    ``t >= 1``, the last ``max_len`` items of ``s[:t]`` (left-padded) and ``s[t]``.
    This is RecBole's data augmentation for sequential models.

    >>> x, y = prefix_examples([np.array([5, 6, 7])], max_len=2)
    >>> x.tolist(), y.tolist()
    ([[0, 5], [5, 6]], [6, 7])
    """
    _check_len(max_len)
    xs, ys = [], []
    for s in seqs:
        s = np.asarray(s, dtype=np.int64)
        for t in range(1, len(s)):
            xs.append(s[max(0, t - max_len):t])
            ys.append(s[t])
    if not xs:
        raise ValueError("no training sequence has two or more items")
    return pad_left(xs, max_len), np.asarray(ys, dtype=np.int64)


def last_position_outputs(forward: Callable, inputs, max_len: int, batch_size: int = 256) -> np.ndarray:
    """Run ``forward`` over ``inputs`` (id sequences, cut and left-padded to ``max_len``) in batches.

    ``forward(x)`` takes a ``(B, max_len)`` int64 array and returns the model's output at the last
    position as a ``(B, d)`` array (a causal model's output at position ``max_len - 1``; a
    non-causal model's only output). Returns ``(n, d)`` float64. Both frameworks' ``score_next_item``
    and ``user_vectors`` are this loop.
    """
    x = pad_left(inputs, max_len)
    out = [np.asarray(forward(x[s:s + batch_size])) for s in range(0, len(x), batch_size)]
    return np.concatenate(out).astype(np.float64)


def mask_padding(scores: np.ndarray) -> np.ndarray:
    """Set the padding column 0 to ``-inf`` (in place) so it is never ranked; returns ``scores``."""
    scores[:, 0] = -np.inf
    return scores


def evaluate_scores(scores, split, part: str = "test", *, ks=(10,), exclude_seen: bool = False) -> dict:
    """Full-ranking Hit/NDCG/MRR@K of a score matrix on ``split``'s ``part`` targets.

    ``exclude_seen=True`` removes every item the user already interacted with before the
    target from the ranking (RecBole's default does not; on re-consumption data this
    changes the numbers a lot, see the chapter).
    """
    scores = np.asarray(scores, dtype=np.float64)
    if scores.shape != (split.n_users, split.n_items):
        raise ValueError(f"scores must be ({split.n_users}, {split.n_items}), got {scores.shape}")
    scores = mask_padding(scores.copy())
    exclude = split.seen(part) if exclude_seen else None
    return ranking_metrics(scores, split.targets(part), ks=ks, exclude=exclude)


def evaluate_scorer(scorer, split, part: str = "test", *, ks=(10,), exclude_seen: bool = False) -> dict:
    """The same for a fitted baseline (anything with ``.score(inputs) -> (n, n_items)``)."""
    return evaluate_scores(scorer.score(split.inputs(part)), split, part, ks=ks, exclude_seen=exclude_seen)


def _check_len(max_len) -> None:
    if not isinstance(max_len, (int, np.integer)) or max_len < 1:
        raise ValueError(f"max_len must be a positive int, got {max_len!r}")
