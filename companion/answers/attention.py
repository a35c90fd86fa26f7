"""Answers to the exercises of chapter 07 (attention and SASRec)."""
import numpy as np

from ..exercises import Expect


def _check_bert4rec_mask(fn):
    """fn(seq, mask_id, p, rng) -> (inputs, targets): masks a fraction p of the non-padding positions."""
    rng = np.random.default_rng(0)
    seq = np.array([0, 0, 0, 5, 7, 9, 2, 4, 8, 3, 6, 1] * 20)
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
        return False, "targets: the original item at masked positions, 0 elsewhere"
    frac = masked.sum() / (seq > 0).sum()
    if not 0.2 <= frac <= 0.4:
        return False, f"masked fraction {frac:.2f}, expected about 0.3"
    return True, ""


ANSWERS = {
    "scaled_softmax": Expect([0.32057, 0.33187, 0.34756], rtol=0, atol=1e-4,
                             hint="divide the scores by sqrt(3) before the exponential softmax"),
    "causal_pairs": Expect(1275, hint="query t sees keys 1..t: sum over t of t"),
    "attention_bytes": Expect(163_840_000, hint="batch x heads x L x L x 4 bytes, per block"),
    "bert4rec_mask": _check_bert4rec_mask,
}
