"""Chapter 8 (sequence-to-sequence models)."""
import numpy as np

from . import Exercise


def exhaustive_count():
    return 13 ** 4


def funnel_probability():
    return 0.3 * 0.5 * (1 - 0.8)


def teacher_forcing_loss():
    return float(-(np.log(0.6) + np.log(0.3)) / 2)


def beam_by_hand():
    return 0.3 * 0.9


def set_ndcg_by_hand():
    disc = 1 / np.log2(np.arange(2, 7))  # positions 1..5
    return float((disc[0] + disc[2]) / disc.sum())  # hits at positions 1 and 3, five distinct targets


EXERCISES = [
    Exercise("seq2seq.exhaustive_count", "sequences scored by exhaustive search", exhaustive_count, kind="exact",
             hint="every one of the k positions can take any of the predictable tokens", wrong=(13 * 4, 15 ** 4)),
    Exercise("seq2seq.funnel_probability", "the true probability of cart, buy, end", funnel_probability, tol=5e-4,
             hint="multiply the three conditional probabilities; the session ends with probability 1 - rho"),
    Exercise("seq2seq.teacher_forcing_loss", "teacher-forced loss by hand", teacher_forcing_loss, tol=5e-4,
             hint="the mean of -ln p over the target tokens"),
    Exercise("seq2seq.beam_by_hand", "beam search of width 2 by hand", beam_by_hand, tol=5e-4,
             hint="keep the two best first tokens, extend both, keep the best complete sequence", difficulty="**"),
    Exercise("seq2seq.set_ndcg_by_hand", "set NDCG@5 of a predicted list by hand", set_ndcg_by_hand, tol=5e-4,
             hint="hits at positions t add 1 / log2(t + 1); divide by the same sum for five hits"),
]
