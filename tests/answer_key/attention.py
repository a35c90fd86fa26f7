"""Chapter 7 (attention and SASRec)."""
import numpy as np

from . import Exercise


def scaled_softmax_dk4():
    s = np.array([1.2, 0.4, 2.0]) / np.sqrt(4)
    return np.exp(s) / np.exp(s).sum()


def causal_pairs():
    return 50 * 51 // 2


def attention_bytes():
    return 256 * 2 * 200 * 200 * 4 * 2


def bert4rec_mask():
    def mask_items(seq, mask_id, p, rng):
        masked = (rng.random(len(seq)) < p) & (seq > 0)
        return np.where(masked, mask_id, seq), np.where(masked, seq, 0)

    return mask_items


EXERCISES = [
    Exercise("attention.scaled_softmax_dk4", "scaled softmax by hand", scaled_softmax_dk4, tol=5e-4,
             hint="divide the scores by sqrt(d_k) before the exponential softmax"),
    Exercise("attention.causal_pairs", "query-key pairs under a causal mask", causal_pairs, kind="exact",
             hint="query t sees keys 1..t", wrong=(2500, 1225)),
    Exercise("attention.attention_bytes", "memory of the attention weights", attention_bytes, kind="exact",
             hint="one L x L matrix per sequence, head and block, 4 bytes per float32", difficulty="**"),
    Exercise("attention.bert4rec_mask", "BERT4Rec masking", bert4rec_mask, kind="property", check="bert4rec_mask",
             hint="draw one uniform number per position; never mask padding (0)", difficulty="**"),
]


def scaled_softmax():  # retired: the chapter and the errata table print these weights
    s = np.array([0.04, 0.1, 0.18]) / np.sqrt(3)
    return np.exp(s) / np.exp(s).sum()


EXERCISES += [
    Exercise("attention.scaled_softmax", "the source's example with scaling (retired)", scaled_softmax, tol=1e-4,
             hint="divide the scores by sqrt(3) before the exponential softmax", retired=True),
]
