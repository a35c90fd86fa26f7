"""Tests of the next-item harness and the recurrent/convolutional recommenders."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import companion
from companion.data.sequences import leave_one_out, pad_left
from companion.metrics import ranking_metrics
from companion.next_item import causal_windows, evaluate_scores, prefix_examples

torch = pytest.importorskip("torch")
from companion.torch import Caser, GRU4Rec, LSTM4Rec, evaluate_next_item, fit_next_item, score_next_item  # noqa: E402


def _cyclic_split(n_users=40, n_items=12, length=14, seed=0):
    """Each user walks a cycle 1 -> 2 -> ... -> n_items -> 1 from a random start: the next item is
    fully determined by the last one, so a model that learns must get close to NDCG = 1."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_users):
        start = rng.integers(n_items)
        for t in range(length):
            rows.append((u, int((start + t) % n_items) + 1, t))
    df = pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"])
    return leave_one_out(df)


def _seed(**kw):
    companion.seed_everything(0, **kw)
    # tiny models: one thread is fastest, and immune to a busy machine's oversubscription
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def split():
    return _cyclic_split()


# ------------------------------------------------------------------ data rows


def test_causal_windows_cover_every_target_once():
    seqs = [np.arange(1, 12), np.array([3, 4]), np.array([5])]
    x, y = causal_windows(seqs, max_len=4)
    # 10 targets of the first sequence in windows of 4 from the end (4, 4, 2), 1 of the second
    assert x.shape == y.shape == (4, 4)
    targets = y[y > 0]
    assert sorted(targets.tolist()) == sorted(list(range(2, 12)) + [4])
    # every target is the item right after its input position
    assert ((x[y > 0] + 1) == y[y > 0]).all()
    # padding lines up: no target where there is no input
    assert ((x == 0) == (y == 0)).all()


def test_prefix_examples_match_recbole_augmentation():
    x, y = prefix_examples([np.array([1, 2, 3, 4])], max_len=2)
    assert x.tolist() == [[0, 1], [1, 2], [2, 3]] and y.tolist() == [2, 3, 4]


# ------------------------------------------------------------------ models


@pytest.mark.parametrize("cls", [GRU4Rec, LSTM4Rec])
def test_causal_mask_output_at_t_ignores_later_inputs(cls):
    _seed()
    m = cls(20, embedding_dim=8, hidden_size=16).eval()
    x = torch.randint(1, 20, (3, 10))
    x2 = x.clone()
    x2[:, 6:] = torch.randint(1, 20, (3, 4))
    with torch.no_grad():
        a, b = m(x), m(x2)
    assert a.shape == (3, 10, 20)
    torch.testing.assert_close(a[:, :6], b[:, :6])
    assert not torch.allclose(a[:, 6:], b[:, 6:])


@pytest.mark.parametrize("cls", [GRU4Rec, LSTM4Rec])
def test_left_padding_does_not_change_scores(cls):
    _seed()
    m = cls(20, embedding_dim=8, hidden_size=16).eval()
    seq = np.array([4, 9, 2, 7])
    s_short = score_next_item(m, [seq], max_len=4)
    s_long = score_next_item(m, [seq], max_len=30)  # 26 padding positions in front
    np.testing.assert_allclose(s_short, s_long, rtol=1e-5, atol=1e-6)
    assert np.isneginf(s_short[:, 0]).all() and np.isfinite(s_short[:, 1:]).all()


def test_caser_shapes_and_padding():
    _seed()
    m = Caser(20, embedding_dim=8, L=3, n_h=2, n_v=2).eval()
    out = m(torch.randint(0, 20, (4, 7)))
    assert out.shape == (4, 20)
    # shorter than L: padded inside the model
    assert m(torch.tensor([[5]])).shape == (1, 20)


# ------------------------------------------------------------------ harness


def test_evaluation_equals_brute_force(split):
    _seed()
    m = GRU4Rec(split.n_items, embedding_dim=8, hidden_size=8).eval()
    got = evaluate_next_item(m, split, "test", max_len=10, ks=(5, 10))
    # brute force: run each user alone, unpadded, and rank by hand
    ndcg, hit, mrr = [], [], []
    for seq, target in zip(split.test_inputs, split.test_targets):
        with torch.no_grad():
            s = m(torch.as_tensor(seq[-10:])[None])[0, -1].numpy().astype(float)
        s[0] = -np.inf
        rank = int((s > s[target]).sum() + (s == s[target]).sum() - 1)
        hit.append(rank < 10)
        ndcg.append(1 / math.log2(rank + 2) if rank < 10 else 0.0)
        mrr.append(1 / (rank + 1) if rank < 10 else 0.0)
    assert got["hit@10"] == pytest.approx(np.mean(hit))
    assert got["ndcg@10"] == pytest.approx(np.mean(ndcg), rel=1e-5)
    assert got["mrr@10"] == pytest.approx(np.mean(mrr), rel=1e-5)
    assert set(got) == {"hit@5", "ndcg@5", "mrr@5", "hit@10", "ndcg@10", "mrr@10"}


def test_exclude_seen_masks_history(split):
    scores = np.random.default_rng(0).normal(size=(split.n_users, split.n_items))
    plain = evaluate_scores(scores, split, "test")
    masked = evaluate_scores(scores, split, "test", exclude_seen=True)
    # on a cycle the target has been seen before, so masking seen items ruins every hit
    assert masked["hit@10"] == 0.0 and plain["hit@10"] > 0


@pytest.mark.parametrize("cls", [GRU4Rec, Caser])
def test_fit_learns_and_restores_best_weights(split, cls):
    _seed()
    kw = {"embedding_dim": 16, "hidden_size": 32, "dropout": 0.0} if cls is GRU4Rec else {"embedding_dim": 16, "L": 2, "dropout": 0.0}
    m = cls(split.n_items, **kw)
    before = evaluate_next_item(m, split, "test", max_len=10)["ndcg@10"]
    bs, ep = (8, 25) if cls is GRU4Rec else (32, 15)  # Caser trains on 10x more rows (one per prefix)
    hist = fit_next_item(m, split, max_len=10, epochs=ep, batch_size=bs, lr=1e-2, patience=None, device="cpu")
    assert hist.train_loss[-1] < 0.5 * hist.train_loss[0]
    # the model handed back is the best epoch's: its validation score equals the recorded best
    assert evaluate_next_item(m, split, "valid", max_len=10)["ndcg@10"] == pytest.approx(hist.best_score)
    assert hist.best_score == max(hist.valid)
    after = evaluate_next_item(m, split, "test", max_len=10)["ndcg@10"]
    assert after > max(0.9, before)


def test_eval_every_skips_validation(split):
    _seed()
    m = GRU4Rec(split.n_items, embedding_dim=8, hidden_size=8)
    hist = fit_next_item(m, split, max_len=10, epochs=4, batch_size=16, patience=None, eval_every=2, device="cpu")
    assert math.isnan(hist.valid[0]) and math.isnan(hist.valid[2])
    assert not math.isnan(hist.valid[1]) and not math.isnan(hist.valid[3])
    assert hist.best_epoch in (2, 4)


def test_baselines_go_through_the_same_evaluation(split):
    from companion.baselines import Markov

    mk = Markov().fit(split.train, split.n_items)
    res = evaluate_next_item(mk, split, "test")
    assert res["hit@10"] == 1.0  # a deterministic cycle is a first-order Markov chain


# ------------------------------------------------------------------ Keras mirror


@pytest.mark.parametrize("name", ["GRU4Rec", "LSTM4Rec"])
def test_keras_twin_same_weights_same_outputs(name):
    keras_mod = pytest.importorskip("companion.keras")
    import companion.torch as ct
    import keras

    _seed()
    tm = getattr(ct, name)(30, embedding_dim=8, hidden_size=12).eval()
    km = keras_mod.load_torch(getattr(keras_mod, name)(30, embedding_dim=8, hidden_size=12), tm)
    x = pad_left([np.array([3, 4, 5]), np.arange(1, 12)], 10)
    with torch.no_grad():
        t_out = tm(torch.from_numpy(x)).numpy()
    k_out = keras.ops.convert_to_numpy(km(x))
    assert k_out.shape == t_out.shape == (2, 10, 30)
    np.testing.assert_allclose(k_out, t_out, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(keras_mod.score_next_item(km, [np.array([3, 4, 5])], 10),
                               ct.score_next_item(tm, [np.array([3, 4, 5])], 10), rtol=1e-4, atol=1e-5)


def test_keras_fit_learns(split):
    keras_mod = pytest.importorskip("companion.keras")
    _seed(frameworks=["torch", "keras"])
    km = keras_mod.GRU4Rec(split.n_items, embedding_dim=16, hidden_size=32, dropout=0.0)
    hist = keras_mod.fit_next_item(km, split, max_len=10, epochs=15, batch_size=8, lr=1e-2, patience=None)
    assert hist.train_loss[-1] < 0.5 * hist.train_loss[0]
    assert keras_mod.evaluate_next_item(km, split, "valid", max_len=10)["ndcg@10"] == pytest.approx(hist.best_score)
    assert keras_mod.evaluate_next_item(km, split, "test", max_len=10)["ndcg@10"] > 0.9


def test_ranking_metrics_used_unchanged(split):
    # the harness reports exactly companion.metrics.ranking_metrics of its masked scores
    scores = np.random.default_rng(1).normal(size=(split.n_users, split.n_items))
    s = scores.copy()
    s[:, 0] = -np.inf
    assert evaluate_scores(scores, split, "valid") == ranking_metrics(s, split.valid_targets)


# ------------------------------------------------------------------ overlapping windows


def test_causal_windows_stride_default_is_consecutive():
    seqs = [np.arange(1, 130), np.arange(1, 30), np.array([4, 5])]
    for a, b in zip(causal_windows(seqs, max_len=50), causal_windows(seqs, max_len=50, stride=50)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("stride", [1, 7, 10, 25, 49])
def test_overlapping_windows_train_every_target_once_with_more_context(stride):
    seqs = [np.arange(1, 130), np.arange(200, 229), np.array([300, 301])]   # distinct ids
    x, y = causal_windows(seqs, max_len=50, stride=stride)
    targets = y[y > 0]
    expected = list(range(2, 130)) + list(range(201, 229)) + [301]
    assert sorted(targets.tolist()) == sorted(expected)          # every target exactly once
    assert ((x[y > 0] + 1) == y[y > 0]).all()                    # each right after its input
    # context of each trained target: the non-padding inputs up to and including its position
    context = np.cumsum(x > 0, axis=1)[y > 0]
    before = {int(v): i for q in seqs for i, v in enumerate(q)}   # items before each target in its sequence
    history = np.array([before[int(t)] for t in targets])
    assert (context >= np.minimum(history, 50 - stride + 1)).all()   # at least max_len - stride + 1
    assert (context <= np.minimum(history, 50)).all()
    if stride == 1:
        assert (context == np.minimum(history, 50)).all()


def test_stride_one_gives_every_target_recboles_context():
    seq = np.arange(1, 90)
    x, y = causal_windows([seq], max_len=50, stride=1)
    context = np.cumsum(x > 0, axis=1)[y > 0]
    targets = y[y > 0]
    np.testing.assert_array_equal(context, np.minimum(targets - 1, 50))   # = the prefix, cut to 50
    xp, yp = prefix_examples([seq], max_len=50)
    assert sorted(targets.tolist()) == sorted(yp.tolist())


def test_stride_errors():
    for bad in (0, 51, 2.5, True):
        with pytest.raises(ValueError, match="stride"):
            causal_windows([np.arange(1, 10)], max_len=50, stride=bad)
    from companion.next_item import training_rows

    class NonCausal:
        causal = False

    with pytest.raises(ValueError, match="causal models only"):
        training_rows(NonCausal(), _cyclic_split(), 10, stride=5)


def test_fit_next_item_with_overlapping_windows_learns(split):
    _seed()
    m = GRU4Rec(split.n_items, embedding_dim=16, hidden_size=32, dropout=0.0)
    h = fit_next_item(m, split, max_len=6, stride=2, epochs=15, batch_size=16, lr=1e-2, patience=None, device="cpu")
    assert h.epochs == 15
    assert evaluate_next_item(m, split, "test", max_len=6)["ndcg@10"] > 0.9
