import numpy as np
import pytest

from companion.metrics import (mae, mase, rank_of_target, ranking_metrics, rmse,
                               sampled_ranking_metrics, smape)


def brute_force(scores, targets, k):
    hits, ndcgs, mrrs = [], [], []
    for s, t in zip(scores, targets):
        # pessimistic: every other item with score >= the target's ranks above it
        rank = sum(1 for j, v in enumerate(s) if j != t and v >= s[t])
        hits.append(rank < k)
        ndcgs.append(1 / np.log2(rank + 2) if rank < k else 0.0)
        mrrs.append(1 / (rank + 1) if rank < k else 0.0)
    return {f"hit@{k}": np.mean(hits), f"ndcg@{k}": np.mean(ndcgs), f"mrr@{k}": np.mean(mrrs)}


def test_hand_computed_case():
    scores = np.array([[0.1, 0.9, 0.5, 0.3],     # target 2 ranked 1 (0-based)
                       [0.4, 0.1, 0.2, 0.3],     # target 0 ranked 0
                       [0.4, 0.1, 0.2, 0.3]])    # target 1 ranked 3
    m = ranking_metrics(scores, np.array([2, 0, 1]), ks=(1, 2))
    assert m["hit@1"] == pytest.approx(1 / 3)
    assert m["hit@2"] == pytest.approx(2 / 3)
    assert m["ndcg@2"] == pytest.approx((1 / np.log2(3) + 1) / 3)
    assert m["mrr@2"] == pytest.approx((0.5 + 1) / 3)


def test_ties_are_pessimistic():
    scores = np.zeros((2, 50))
    m = ranking_metrics(scores, np.array([3, 7]), ks=(10,))
    assert m == {"hit@10": 0.0, "ndcg@10": 0.0, "mrr@10": 0.0}
    scores = np.array([[1.0, 1.0, 0.0]])
    assert rank_of_target(scores, np.array([0]))[0] == 1


@pytest.mark.parametrize("seed", range(5))
def test_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 6, size=(40, 30)).astype(float)  # many ties
    targets = rng.integers(0, 30, size=40)
    for k in (1, 5, 10):
        got = ranking_metrics(scores, targets, ks=(k,))
        want = brute_force(scores, targets, k)
        for key in want:
            assert got[key] == pytest.approx(want[key])


def test_exclude_mask_and_lists_agree():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(5, 20))
    targets = np.array([1, 2, 3, 4, 5])
    seen = [[6, 7], [], [8], [9, 10, 11], [0]]
    mask = np.zeros_like(scores, dtype=bool)
    for i, s in enumerate(seen):
        mask[i, s] = True
    a = ranking_metrics(scores, targets, ks=(3,), exclude=seen)
    b = ranking_metrics(scores, targets, ks=(3,), exclude=mask)
    assert a == b
    # excluding items ranked above the target can only improve its rank
    assert (rank_of_target(scores, targets, seen) <= rank_of_target(scores, targets)).all()


def test_sampled_metrics_rank_only_against_negatives():
    scores = np.array([[0.0, 5.0, 4.0, 3.0, 2.0, 1.0]])
    full = ranking_metrics(scores, np.array([3]), ks=(1,))
    sampled = sampled_ranking_metrics(scores, np.array([3]), np.array([[4, 5]]), ks=(1,))
    assert full["hit@1"] == 0.0 and sampled["hit@1"] == 1.0
    with pytest.raises(ValueError, match="negative equals"):
        sampled_ranking_metrics(scores, np.array([3]), np.array([[3, 5]]))


@pytest.mark.parametrize("bad, match", [
    (dict(scores=np.zeros(5)), "n_users, n_items"),
    (dict(targets=np.array([0, 1, 2])), "targets must have shape"),
    (dict(targets=np.array([0.0, 1.0])), "integer"),
    (dict(targets=np.array([0, 9])), "lie in"),
    (dict(scores=np.array([[np.nan, 1.0], [0.0, 1.0]])), "NaN"),
])
def test_bad_input(bad, match):
    args = dict(scores=np.zeros((2, 2)), targets=np.array([0, 1]))
    args.update(bad)
    with pytest.raises(ValueError, match=match):
        ranking_metrics(args["scores"], args["targets"])


def test_forecast_metrics():
    y, f = np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 5.0])
    assert mae(y, f) == pytest.approx(1.0)
    assert rmse(y, f) == pytest.approx(np.sqrt(5 / 3))
    assert smape(np.array([0.0]), np.array([0.0])) == 0.0
    assert smape(np.array([1.0]), np.array([3.0])) == pytest.approx(100.0)
    train = np.array([1, 2, 3, 1, 2, 3, 2.0])
    # seasonal-naive scale with m=3: |1-1|,|2-2|,|3-3|,|2-1| -> 0.25
    assert mase(y, f, train, m=3) == pytest.approx(4.0)
    with pytest.raises(ValueError, match="shape"):
        mae(y, f[:2])


def test_expected_metrics_of_the_oracle():
    from companion.metrics import expected_ranking_metrics

    probs = np.array([[0.0, 0.5, 0.3, 0.2]])
    m = expected_ranking_metrics(probs, ks=(1, 2))
    assert m["hit@1"] == pytest.approx(0.5)
    assert m["hit@2"] == pytest.approx(0.8)
    assert m["ndcg@2"] == pytest.approx(0.5 + 0.3 / np.log2(3))
    assert m["mrr@2"] == pytest.approx(0.5 + 0.3 / 2)
    # the expectation equals the average over many realised targets
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(30), size=4)
    targets = np.array([rng.choice(30, size=20000, p=row) for row in p]).T.ravel()
    scores = np.tile(p, (20000, 1))
    realised = ranking_metrics(scores, targets, ks=(5,))
    expected = expected_ranking_metrics(p, ks=(5,))
    for key in expected:
        assert realised[key] == pytest.approx(expected[key], abs=0.01)
    with pytest.raises(ValueError, match="probability distribution"):
        expected_ranking_metrics(np.array([[0.5, 0.2]]))
