"""Chapter 1 (behavior data, splits and metrics)."""
import numpy as np

from . import Exercise


def _ml_log():
    from companion.data import check_event_log, load_movielens_100k

    return check_event_log(load_movielens_100k().assign(event="rate"))


def _shop():
    from companion.data import generate_shop_log

    return generate_shop_log(n_users=600, n_items=400, days=120, seed=0)  # the chapter's shop


def example_users():
    return _ml_log().user_id.nunique()


def sessions_1h():
    from companion.data import sessionize

    return sessionize(_ml_log(), gap=3600)["session"].nunique()


def ndcg_rank3():
    return 1 / np.log2(3 + 2)


def shop_density():
    views = _shop().views()
    pairs = views[["user_id", "item_id"]].drop_duplicates()
    return len(pairs) / (views.user_id.nunique() * views.item_id.nunique())


def pop_exclude_hit10():
    from companion.baselines import Popularity
    from companion.data import leave_one_out
    from companion.metrics import ranking_metrics

    split = leave_one_out(_shop().views(), name="shop")
    scores = Popularity().fit(split.train, split.n_items).score(split.test_inputs)
    return ranking_metrics(scores, split.test_targets, exclude=split.test_inputs)["hit@10"]


def leaky_split():
    return "random"


EXERCISES = [
    Exercise("data.example_users", "worked example: users in MovieLens-100K", example_users, kind="exact",
             hint="count the distinct user ids", example=True),
    Exercise("data.sessions_1h", "sessions with a one-hour gap", sessions_1h, kind="exact",
             hint="sessionize() takes the inactivity gap in seconds; count distinct sessions", difficulty="*"),
    Exercise("data.ndcg_rank3", "NDCG@10 of a target at rank 3", ndcg_rank3, tol=5e-4,
             hint="a hit at 0-based rank r earns 1 / log2(r + 2); one relevant item, so the ideal DCG is 1"),
    Exercise("data.shop_density", "density of the shop's view matrix", shop_density, tol=5e-4,
             hint="distinct (user, item) pairs among the views, over users x items (a fraction, not a percent)",
             difficulty="**"),
    Exercise("data.pop_exclude_hit10", "popularity Hit@10 with seen items removed", pop_exclude_hit10, tol=5e-4,
             hint="fit on the training part, score the test inputs, pass exclude= to ranking_metrics",
             difficulty="**"),
    Exercise("data.leaky_split", "which split leaks a user's future", leaky_split, kind="exact",
             hint="give the split's name as the question writes it; which split ignores time altogether?",
             wrong=("leave-one-out", "temporal")),
]


def density():  # retired: chapter 1 prints the density of MovieLens-100K
    ml = _ml_log()
    return len(ml) / (ml.user_id.nunique() * ml.item_id.nunique())


EXERCISES += [
    Exercise("data.density", "density of MovieLens-100K (retired)", density, tol=5e-5,
             hint="ratings / (users x items)", retired=True),
]
