"""Property checks for exercises whose answer is a function or open ended.

Each check takes the student's answer and returns ``(ok, message)``; messages say what is
wrong with the answer, never what the right one is. Used by :func:`companion.exercises.check`
through ``"kind": "property"`` entries of ``exercise_keys.json``.
"""
from __future__ import annotations

import copy

import numpy as np


def gru_step(fn):
    """``fn(x, h, cell) -> h_new`` equals ``cell(x, h)`` for a ScratchGRUCell, without calling it."""
    import torch

    from .torch.rnn import ScratchGRUCell

    if not callable(fn):
        return False, "pass your function gru_step(x, h, cell), not its result"
    torch.manual_seed(123)
    cell = ScratchGRUCell(3, 4, dtype=torch.float64)
    reference = copy.deepcopy(cell)
    x, h = torch.randn(5, 3, dtype=torch.float64), torch.randn(5, 4, dtype=torch.float64)

    def refuse(*args, **kwargs):
        raise RuntimeError("gru_step must compute the update from the parameters, not call the cell")

    cell.forward = refuse
    try:
        with torch.no_grad():
            got = torch.as_tensor(fn(x, h, cell), dtype=torch.float64)
            want = reference(x, h)
    except Exception as exc:  # noqa: BLE001  (report any error to the reader)
        return False, f"your function raised {type(exc).__name__}: {exc}"
    if got.shape != want.shape:
        return False, f"the new state must have the shape of h, {tuple(h.shape)}; got {tuple(got.shape)}"
    if float((got - want).abs().max()) > 1e-10:
        return False, "the new state differs from the GRU's"
    return True, ""


def bert4rec_mask(fn):
    """fn(seq, mask_id, p, rng) -> (inputs, targets): masks a fraction p of the non-padding positions."""
    rng = np.random.default_rng(0)
    seq = np.array([0, 0, 0, 5, 7, 9, 2, 4, 8, 3, 6, 1] * 20)
    if not callable(fn):
        return False, "pass your function mask_items(seq, mask_id, p, rng), not its result"
    try:
        inp, tgt = fn(seq.copy(), 99, 0.3, rng)
    except Exception as exc:  # noqa: BLE001 - report any error to the reader
        return False, f"raised {type(exc).__name__}: {exc}"
    inp, tgt = np.asarray(inp), np.asarray(tgt)
    if inp.shape != seq.shape or tgt.shape != seq.shape:
        return False, "inputs and targets must have the shape of the sequence"
    masked = inp == 99
    if (masked & (seq == 0)).any():
        return False, "padding positions must never be masked"
    if not np.array_equal(inp[~masked], seq[~masked]):
        return False, "unmasked positions must keep their item"
    if not np.array_equal(tgt[masked], seq[masked]) or (tgt[~masked] != 0).any():
        return False, "the targets are not right at masked or at unmasked positions"
    frac = masked.sum() / (seq > 0).sum()
    if not 0.2 <= frac <= 0.4:
        return False, f"you masked a fraction {frac:.2f} of the items; the exercise asks for p"
    return True, ""


def recency_features(answer):
    """An open-ended test ROC-AUC: it must be clearly above the bag of events and not above the
    oracle (both numbers are printed in the chapter), which only a model fitted on train and
    scored on test with features of the last events reaches."""
    try:
        a = float(answer)
    except (TypeError, ValueError):
        return False, f"expected a test ROC-AUC (a number), got {type(answer).__name__}"
    if not 0.0 <= a <= 1.0:
        return False, "a ROC-AUC lies between 0 and 1"
    if a > 0.83:
        return False, "above the oracle's test AUC in the chapter: fit on train and score on test"
    if a < 0.72:
        return False, "not yet clearly above the bag of events: add features of the LAST events"
    return True, ""
