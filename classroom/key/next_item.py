"""Chapter 6 (next-item recommendation with recurrent networks)."""
import math

from . import Exercise


def ndcg_rank7():
    return 1 / math.log2(7 + 2)


def windows_120():
    return 3


def popularity_masked_valid():
    from companion.baselines import Popularity
    from companion.data import leave_one_out, load_movielens_100k
    from companion.next_item import evaluate_scorer

    split = leave_one_out(load_movielens_100k(), name="ml-100k")
    pop = Popularity().fit(split.train, split.n_items)
    return evaluate_scorer(pop, split, "valid", exclude_seen=True)["hit@10"]


EXERCISES = [
    Exercise("next_item.ndcg_rank7", "NDCG@10 of a target at rank 7", ndcg_rank7, tol=5e-4,
             hint="NDCG@K credits a hit at 0-based rank r with 1/log2(r + 2)"),
    Exercise("next_item.windows_120", "training windows of a long sequence", windows_120, kind="exact",
             hint="a sequence of n items has n - 1 targets; each window holds at most max_len targets",
             wrong=(2, 119)),
    Exercise("next_item.popularity_masked_valid", "popularity on validation, seen items masked",
             popularity_masked_valid, tol=5e-4,
             hint="fit on the training part; evaluate the validation part with exclude_seen=True",
             difficulty="**"),
]
