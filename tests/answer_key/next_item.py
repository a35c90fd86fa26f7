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


def ndcg_rank3():  # retired: the same question as chapter 1's exercise 2
    return 1 / math.log2(3 + 2)


def popularity_masked():  # retired: the masking table shows it
    from companion.baselines import Popularity
    from companion.data import leave_one_out, load_movielens_100k
    from companion.next_item import evaluate_scorer

    split = leave_one_out(load_movielens_100k(), name="ml-100k")
    return evaluate_scorer(Popularity().fit(split.train, split.n_items), split, "test", exclude_seen=True)["ndcg@10"]


EXERCISES += [
    Exercise("next_item.ndcg_rank3", "NDCG@10 at rank 3 (retired)", ndcg_rank3, tol=1e-3,
             hint="NDCG@K credits a hit at 0-based rank r with 1/log2(r + 2)", retired=True),
    Exercise("next_item.popularity_masked", "popularity, seen items masked (retired)", popularity_masked,
             tol=5e-4, hint="evaluate with exclude_seen=True", retired=True),
]
