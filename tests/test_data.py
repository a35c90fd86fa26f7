import numpy as np
import pandas as pd
import pytest

from companion.data import (check_event_log, generate_shop_log, kstep_examples, kstep_rows, leave_k_out,
                            leave_one_out, load_movielens_100k,
                            load_movielens_100k_items, pad_left, reindex_items, sample_negatives,
                            sessionize, temporal_next_item_split, temporal_split, user_sequences)
from companion.data import movielens


def log(**over):
    df = pd.DataFrame({"user_id": [1, 1, 1, 2, 2, 2], "item_id": [10, 11, 12, 11, 12, 13],
                       "event": ["view"] * 6, "timestamp": [5, 1, 3, 2, 2, 9]})
    for k, v in over.items():
        df[k] = v
    return df


# ---------------------------------------------------------------- check_event_log

def test_valid_log_passes_unchanged():
    df = log()
    assert check_event_log(df) is df


@pytest.mark.parametrize("df, match", [
    (log().drop(columns="event"), r"missing column\(s\) \['event'\]"),
    (log().iloc[:0], "empty"),
    (log(user_id=[1, None, 1, 2, 2, 2]), r"'user_id' has 1 missing value\(s\) at rows \[1\]"),
    (log(item_id=[1, 2, np.nan, 4, 5, np.nan]), r"'item_id' has 2 missing value\(s\) at rows \[2, 5\]"),
    (log(timestamp=["a", "1", "2", "3", "4", "5"]), r"'timestamp' must be numeric.*rows \[0\]"),
    (log(timestamp=[1.0, np.nan, 2, 3, 4, 5]), r"'timestamp' has 1 missing"),
])
def test_bad_logs_name_the_problem(df, match):
    with pytest.raises(ValueError, match=match):
        check_event_log(df)


def test_not_a_dataframe():
    with pytest.raises(ValueError, match="DataFrame"):
        check_event_log([[1, 2, "view", 3]])


# ---------------------------------------------------------------- sequences

def test_user_sequences_are_chronological_and_stable():
    seqs = user_sequences(log())
    assert seqs[1].tolist() == [11, 12, 10]
    assert seqs[2].tolist() == [11, 12, 13]  # tie at t=2 keeps log order


def test_sessionize_splits_on_gap():
    df = pd.DataFrame({"user_id": [1, 1, 1, 2], "item_id": [1, 2, 3, 4], "event": "view",
                       "timestamp": [0, 100, 5000, 0]})
    s = sessionize(df, gap=1800)
    assert s["session"].tolist() == [0, 0, 1, 2]
    with pytest.raises(ValueError, match="gap"):
        sessionize(df, gap=0)


def test_reindex_reserves_zero():
    new, ids = reindex_items(np.array([30, 10, 30, 20]))
    assert new.tolist() == [3, 1, 3, 2] and ids.tolist() == [0, 10, 20, 30]
    with pytest.raises(ValueError, match="not in the vocabulary"):
        reindex_items(np.array([5]), known=[1, 2])


def test_pad_left_keeps_the_most_recent():
    out = pad_left([np.array([1, 2, 3, 4]), np.array([5])], 3)
    assert out.tolist() == [[2, 3, 4], [0, 0, 5]]
    assert out.dtype == np.int64
    with pytest.raises(ValueError, match="max_len"):
        pad_left([np.array([1])], 0)
    with pytest.raises(ValueError, match="non-integer"):
        pad_left([np.array([1.5])], 2)


def test_leave_one_out_matches_recbole_layout():
    split = leave_one_out(log())
    assert split.n_items == 5  # 4 items + padding
    assert [s.tolist() for s in split.sequences] == [[2, 3, 1], [2, 3, 4]]
    assert split.valid_targets.tolist() == [3, 3] and split.test_targets.tolist() == [1, 4]
    assert [s.tolist() for s in split.test_inputs] == [[2, 3], [2, 3]]
    assert [s.tolist() for s in split.train] == [[2], [2]]


def test_leave_one_out_refuses_short_users_unless_told():
    df = pd.concat([log(), pd.DataFrame({"user_id": [3], "item_id": [10], "event": ["view"],
                                         "timestamp": [1]})], ignore_index=True)
    with pytest.raises(ValueError, match="1 user"):
        leave_one_out(df)
    split = leave_one_out(df, drop_short=True)
    assert split.dropped_users == 1 and split.n_users == 2


def test_leave_k_out_layout_ties_and_unseen_items():
    # user 1: 7 items, two pairs tied in time (broken by item id); user 2: 6 items; item 99 only in a target
    df = pd.DataFrame({"user_id": [1] * 7 + [2] * 6,
                       "item_id": [14, 13, 12, 11, 10, 16, 15, 10, 11, 12, 13, 14, 99],
                       "timestamp": [1, 1, 2, 3, 4, 5, 5, 1, 2, 3, 4, 5, 6]})
    split = leave_k_out(df, k=2)
    ids = lambda a: split.item_ids[np.asarray(a)].tolist()  # noqa: E731  back to the log's ids
    assert ids(split.sequences[0]) == [13, 14, 12, 11, 10, 15, 16]  # tied timestamps ordered by item id
    assert ids(split.targets("test")) == [[15, 16], [14, 99]] and ids(split.targets("valid")) == [[11, 10], [12, 13]]
    assert [ids(s) for s in split.train] == [[13, 14, 12], [10, 11]]
    assert [ids(s) for s in split.inputs("test")] == [[13, 14, 12, 11, 10], [10, 11, 12, 13]]
    assert [ids(s) for s in split.inputs("valid")] == [ids(s) for s in split.train]
    info = split.describe()
    assert info["unseen_test_items"] == 3 and info["unseen_test_items_given_valid"] == 3  # 15, 16, 99
    assert info["unseen_valid_items"] == 0 and info["train_interactions"] == 5
    # the file's row order does not matter with the default tie-break; with tie_break=None it does
    shuffled = df.sample(frac=1, random_state=0)
    assert [s.tolist() for s in leave_k_out(shuffled, k=2).sequences] == [s.tolist() for s in split.sequences]
    assert ids(leave_k_out(df, k=2, tie_break=None).sequences[0])[:2] == [14, 13]


def test_leave_k_out_refuses_short_users_and_bad_arguments():
    df = pd.DataFrame({"user_id": [1] * 5 + [2] * 4, "item_id": list(range(5)) + list(range(4)),
                       "timestamp": list(range(9))})
    with pytest.raises(ValueError, match="fewer than 5 interactions"):
        leave_k_out(df, k=2)
    split = leave_k_out(df, k=2, drop_short=True)
    assert split.n_users == 1 and split.dropped_users == 1
    with pytest.raises(ValueError, match="k must be"):
        leave_k_out(df, k=0)
    with pytest.raises(ValueError, match="tie_break"):
        leave_k_out(df, k=1, tie_break="rating")


def test_kstep_rows_and_examples():
    rows = kstep_rows([np.array([1, 2, 3]), np.array([4])], np.array([[5, 6], [7, 8]]), 2, users=np.array([9, 10]))
    assert rows.src.tolist() == [[3, 4], [0, 5]] and rows.tgt.tolist() == [[6, 7], [8, 9]]  # tokens = ids + 1
    tin, tout = rows.decoder_io()
    assert tin.tolist() == [[1, 6], [1, 8]] and tout.tolist() == rows.tgt.tolist()
    assert rows.subset([1]).user.tolist() == [10]
    ex = kstep_examples([np.arange(1, 9)], k=3, max_len=4)  # cuts at 5 and 2: targets 6..8 and 3..5
    assert ex.tgt.tolist() == [[7, 8, 9], [4, 5, 6]] and ex.src.tolist() == [[3, 4, 5, 6], [0, 0, 2, 3]]
    assert len(kstep_examples([np.arange(1, 9)], k=3, max_len=4, stride=1)) == 5
    with pytest.raises(ValueError, match="at least one input"):
        kstep_rows([np.array([], dtype=np.int64)], np.array([[1, 2]]), 2)
    with pytest.raises(ValueError, match="more than k"):
        kstep_examples([np.arange(1, 4)], k=3, max_len=4)


def test_temporal_split_and_negatives():
    train, test, cut = temporal_split(log(), cutoff=4)
    assert train["timestamp"].max() < 4 <= test["timestamp"].min()
    with pytest.raises(ValueError, match="empty"):
        temporal_split(log(), cutoff=100)
    neg = sample_negatives(50, np.array([3, 7]), n=20, seen=[[1, 2], [8]], seed=1)
    assert neg.shape == (2, 20)
    for row, t, seen in zip(neg, [3, 7], [[1, 2], [8]]):
        assert len(set(row)) == 20 and t not in row and not set(seen) & set(row) and 0 not in row


def test_temporal_next_item_split():
    df = pd.DataFrame({"user_id": [1, 1, 1, 2, 2, 3, 3, 4], "item_id": [10, 11, 12, 11, 13, 12, 14, 10],
                       "event": ["view"] * 8, "timestamp": [1, 2, 5, 3, 4, 6, 7, 5]})
    sp = temporal_next_item_split(df, cutoff=5)
    ids = sp.item_ids
    # user 1 is the only one with events on both sides; user 2 trains only; users 3 and 4 are cold
    assert sp.users.tolist() == [1] and sp.cold_users == 2 and sp.n_items == 6
    assert [ids[s].tolist() for s in sp.train] == [[10, 11], [11, 13]]
    assert ids[sp.test_inputs[0]].tolist() == [10, 11] and ids[sp.test_targets].tolist() == [12]
    assert sp.new_item_targets == 1  # item 12 first appears at the cutoff
    assert sp.seen("test") is sp.test_inputs and sp.describe()["test_users"] == 1
    with pytest.raises(ValueError, match="test"):
        sp.seen("valid")
    # ties in time keep the log's order, as in leave_one_out: the target is the first row at the cutoff
    tie = pd.DataFrame({"user_id": [1, 1, 1], "item_id": [7, 9, 8], "event": ["view"] * 3, "timestamp": [1, 4, 4]})
    assert temporal_next_item_split(tie, cutoff=4).item_ids[temporal_next_item_split(tie, cutoff=4).test_targets].tolist() == [9]
    with pytest.raises(ValueError, match="both sides"):
        temporal_next_item_split(df.assign(user_id=[1, 1, 1, 1, 1, 2, 2, 2], timestamp=[1, 2, 3, 4, 4.5, 6, 7, 8]), cutoff=5)
    with pytest.raises(ValueError, match="empty"):
        temporal_next_item_split(df, cutoff=100)


# ---------------------------------------------------------------- MovieLens

def test_movielens_100k_shape():
    df = load_movielens_100k()
    assert df.shape == (100_000, 4)
    assert list(df.columns) == ["user_id", "item_id", "rating", "timestamp"]
    assert df["user_id"].nunique() == 943 and df["item_id"].nunique() == 1682
    items = load_movielens_100k_items()
    assert len(items) == 1682 and items["Drama"].sum() == 725


def test_movielens_missing_copy_says_how_to_get_one(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPANION_DATA", str(tmp_path))
    monkeypatch.setattr(movielens, "_recbole_dir", lambda: None)
    with pytest.raises(FileNotFoundError, match="download=True"):
        load_movielens_100k()


def test_movielens_download_checks_md5(tmp_path, monkeypatch):
    class Fake:
        def __enter__(self):
            return self

        def __exit__(self, *a):
            return False

        def read(self):
            return b"not the archive"

    monkeypatch.setattr(movielens.urllib.request, "urlopen", lambda *a, **k: Fake())
    with pytest.raises(ValueError, match="MD5"):
        movielens.download_movielens_100k(tmp_path)


# ---------------------------------------------------------------- synthetic shop

@pytest.fixture(scope="module")
def shop():
    return generate_shop_log(n_users=150, n_items=80, days=60, seed=3)


def test_shop_is_deterministic(shop):
    again = generate_shop_log(n_users=150, n_items=80, days=60, seed=3)
    pd.testing.assert_frame_equal(shop.events, again.events)
    other = generate_shop_log(n_users=150, n_items=80, days=60, seed=4)
    assert not shop.events.equals(other.events)


def test_shop_log_is_a_valid_event_log(shop):
    check_event_log(shop.events)
    assert set(shop.events["event"]) == {"view", "cart", "buy", "return"}
    ts = shop.events.groupby("user_id")["timestamp"].apply(lambda s: s.is_monotonic_increasing)
    assert ts.all()


def test_true_next_item_distribution(shop):
    views = shop.views()
    probs = shop.true_next_item_probs(views)
    np.testing.assert_allclose(probs.sum(1), 1.0)
    assert (probs[:, 0] == 0).all()
    # the realised items are far likelier under the true distribution than uniform
    p_real = probs[np.arange(len(views)), views["item_id"].to_numpy()]
    assert np.mean(np.log(p_real)) > np.log(1 / shop.n_items) + 1.0


def test_sessions_recovered_by_a_30_minute_gap(shop):
    v = sessionize(shop.views(), gap=1800)
    pairs = v.groupby("session")["session_id"].nunique()
    assert (pairs == 1).all()
    assert v["session"].nunique() == v["session_id"].nunique()


def test_expected_daily_matches_the_realised_mean(shop):
    got, want = shop.daily_counts("view"), shop.expected_daily("view")
    assert len(got) == len(want) == 60
    assert abs(got.sum() / want.sum() - 1) < 0.05
    with pytest.raises(ValueError, match="event must be"):
        shop.daily_counts("click")


def test_generator_validates(shop):
    with pytest.raises(ValueError, match="n_users"):
        generate_shop_log(n_users=0)
    with pytest.raises(ValueError, match="weekly"):
        generate_shop_log(weekly=(1, 2))
    with pytest.raises(ValueError, match="not rows of shop.events"):
        shop.true_next_item_probs(pd.DataFrame(index=[10**9]))


def test_best_achievable_bounds_the_baselines(shop):
    from companion.baselines import Markov, Popularity
    from companion.metrics import ranking_metrics

    split = leave_one_out(shop.views())
    best = shop.best_achievable(split)
    for model in (Popularity(), Markov()):
        got = ranking_metrics(model.fit(split.train, split.n_items).score(split.test_inputs), split.test_targets)
        assert got["ndcg@10"] < best["ndcg@10"] + 0.03  # realised score vs expectation: small sampling slack
    oracle = shop.oracle_scores(split, "valid")
    assert oracle.shape == (split.n_users, split.n_items) and np.allclose(oracle.sum(1), 1)
    with pytest.raises(ValueError, match="leave_one_out"):
        v = shop.views()
        shop.oracle_scores(leave_one_out(v[v.user_id != 1]))
