"""Behavior features for next-session purchase prediction, the user split and the lag task."""
import numpy as np
import pandas as pd
import pytest

from companion.data import generate_shop_log
from companion.data import FEATURES, lag_task, next_session_purchase, split_users
from companion.data.events import DAY
from companion.data.features import behavior_features, truncation_gaps


@pytest.fixture(scope="module")
def shop():
    return generate_shop_log(n_users=80, n_items=60, days=60, seed=3)


def test_features_shape_and_labels(shop):
    ex = next_session_purchase(shop.events)
    assert list(ex.columns) == ["user_id", "cutoff", *FEATURES, "label"]
    assert set(ex["label"].unique()) <= {0, 1}
    assert not ex[list(FEATURES)].isna().any().any()
    assert ex.attrs["dropped"] >= 0
    assert (ex["cutoff"].diff().dropna() >= 0).all()


def test_no_leakage_from_the_future(shop):
    ex = next_session_purchase(shop.events)
    c = int(np.sort(ex["cutoff"].unique())[1])
    ev = shop.events.copy()
    future = ev["timestamp"] >= c
    ev.loc[future, "event"] = "view"  # erase every future cart/buy
    ev.loc[future, "category"] = 0
    a = ex[ex["cutoff"] == c].set_index("user_id")[list(FEATURES)]
    b = next_session_purchase(ev, cutoffs=[c]).set_index("user_id")[list(FEATURES)]
    pd.testing.assert_frame_equal(a, b)


def test_label_is_a_buy_in_the_next_session(shop):
    ev = shop.events
    c = int(ev["timestamp"].min() + 20 * 86_400)
    ex = next_session_purchase(ev, cutoffs=[c]).set_index("user_id")
    starts = ev.groupby("session_id").agg(user=("user_id", "first"), start=("timestamp", "min"))
    for u in ex.index[:10]:
        s = starts[(starts.user == u) & (starts.start >= c)].sort_values("start").index[0]
        assert ex.loc[u, "label"] == int((ev[(ev.session_id == s)]["event"] == "buy").any())


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="session_id"):
        next_session_purchase(pd.DataFrame({"user_id": [1], "item_id": [1], "event": ["view"], "timestamp": [0]}))


def test_split_users_disjoint(shop):
    ex = next_session_purchase(shop.events)
    tr, va, te = split_users(ex, (0.6, 0.2, 0.2), seed=0)
    assert len(tr) + len(va) + len(te) == len(ex)
    assert not (set(tr.user_id) & set(va.user_id) or set(tr.user_id) & set(te.user_id) or set(va.user_id) & set(te.user_id))
    with pytest.raises(ValueError):
        split_users(ex, (0.5, 0.2, 0.2))


def test_lag_task():
    x, y = lag_task(50, 10, 3, seed=1)
    assert x.shape == (50, 10, 5) and x.dtype == np.float32 and y.dtype == np.int64
    assert (x[:, 7, :4].argmax(-1) == y).all() and (x[:, :, 4].argmax(-1) == 7).all()
    x2, _ = lag_task(50, 10, 3, seed=1, marker=False)
    assert x2.shape == (50, 10, 4)
    with pytest.raises(ValueError):
        lag_task(5, 10, 11)


def _leaky(events, cutoff):
    """A feature function with a classic bug: the 14-day window has no upper bound."""
    f = behavior_features(events, cutoff)
    recent = events[events["timestamp"] >= cutoff - 14 * DAY]
    f["log_sessions_14d"] = np.log1p(recent.groupby("user_id")["session_id"].nunique().reindex(f.index, fill_value=0))
    return f


def test_truncation_test_passes_the_book_features(shop):
    ex = next_session_purchase(shop.events)
    cutoffs = np.sort(ex["cutoff"].unique())
    gaps = truncation_gaps(behavior_features, shop.events, cutoffs)
    assert list(gaps.index) == list(cutoffs) and list(gaps.columns) == ["extra_rows", *FEATURES]
    assert (gaps.to_numpy() == 0).all()
    # the examples are made by the function the test checks
    for c in cutoffs[[0, -1]]:
        rows = ex[ex["cutoff"] == c].set_index("user_id")[list(FEATURES)]
        pd.testing.assert_frame_equal(rows, behavior_features(shop.events, c).loc[rows.index])


def test_truncation_test_catches_a_leak_the_scramble_misses(shop):
    c = int(shop.events["timestamp"].min() + 30 * DAY)
    gaps = truncation_gaps(_leaky, shop.events, [c])
    assert gaps.loc[c, "log_sessions_14d"] > 0.1
    assert (gaps.drop(columns="log_sessions_14d").to_numpy() == 0).all()
    # scrambling event types and categories after the cutoff leaves the leaky feature unchanged
    ev = shop.events.copy()
    future = ev["timestamp"] >= c
    ev.loc[future, "event"] = "view"
    ev.loc[future, "category"] = 0
    pd.testing.assert_frame_equal(_leaky(shop.events, c), _leaky(ev, c))


def test_truncation_gaps_counts_users_seen_only_in_the_future(shop):
    c = int(shop.events["timestamp"].min() + 5 * DAY)

    def with_future_users(events, cutoff):
        users = np.unique(events["user_id"])
        return pd.DataFrame({"x": np.zeros(len(users))}, index=users)

    gaps = truncation_gaps(with_future_users, shop.events, [c])
    late = set(shop.events["user_id"]) - set(shop.events.loc[shop.events["timestamp"] < c, "user_id"])
    assert gaps.loc[c, "extra_rows"] == len(late) > 0


def test_behavior_features_and_truncation_bad_input(shop):
    with pytest.raises(ValueError, match="no event before the cutoff"):
        behavior_features(shop.events, shop.events["timestamp"].min())
    with pytest.raises(ValueError, match="session_id"):
        behavior_features(shop.events.drop(columns="session_id"), shop.events["timestamp"].max())
    with pytest.raises(ValueError, match="at least one cutoff"):
        truncation_gaps(behavior_features, shop.events, [])
    with pytest.raises(ValueError, match="columns"):
        truncation_gaps(lambda ev, c: behavior_features(ev, c).iloc[:, : 3 if ev["timestamp"].max() >= c else 2],
                        shop.events, [int(shop.events["timestamp"].min() + 30 * DAY)])
