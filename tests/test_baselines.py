import numpy as np
import pytest

from companion.baselines import EASE, ItemKNN, Markov, Popularity, naive, seasonal_naive
from companion.metrics import ranking_metrics

TRAIN = [np.array([1, 2, 3, 1, 2]), np.array([2, 3, 4]), np.array([1, 2, 3])]
N = 6


def test_popularity_ranks_by_frequency():
    s = Popularity().fit(TRAIN, N).score([np.array([4])])
    assert s[0, 0] == -np.inf
    assert list(np.argsort(-s[0])[:3]) == [2, 1, 3]


def test_markov_follows_last_item_and_backs_off():
    m = Markov().fit(TRAIN, N)
    s = m.score([np.array([5, 2])])  # after 2 came 3 (three times)
    assert np.argmax(s[0]) == 3
    s5 = m.score([np.array([5])])  # 5 was never followed: popularity order
    assert np.argmax(s5[0]) == 2
    assert (m.backoff < 1).all()


def test_itemknn_prefers_cooccurring_items():
    s = ItemKNN(window=1, history=1).fit(TRAIN, N).score([np.array([4])])
    assert np.argmax(s[0]) == 3  # 4 only ever sat next to 3


def test_ease_scores_shape_and_padding():
    s = EASE(lam=1.0).fit(TRAIN, N).score(TRAIN)
    assert s.shape == (3, N) and (s[:, 0] == -np.inf).all()


def test_baselines_validate_input():
    with pytest.raises(ValueError, match="outside"):
        Popularity().fit([np.array([0, 1])], N)
    with pytest.raises(RuntimeError, match="not fitted"):
        Markov().score(TRAIN)


def test_markov_beats_popularity_on_a_deterministic_chain():
    seqs = [np.array([(k + t) % 5 + 1 for t in range(12)]) for k in range(5)]
    train = [s[:-1] for s in seqs]
    targets = np.array([s[-1] for s in seqs])
    pop = ranking_metrics(Popularity().fit(train, 6).score(train), targets, ks=(1,))
    mk = ranking_metrics(Markov().fit(train, 6).score(train), targets, ks=(1,))
    assert mk["hit@1"] == 1.0 and pop["hit@1"] < 1.0


def test_forecast_baselines():
    assert naive([1, 2, 3], 2).tolist() == [3, 3]
    assert seasonal_naive([1, 2, 3, 4, 5, 6, 7, 8], 4, m=3).tolist() == [6, 7, 8, 6]
