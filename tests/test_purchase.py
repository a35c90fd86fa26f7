"""Tests of the purchase-prediction chapter's companion code (generator, posterior, metrics, models)."""
import numpy as np
import pandas as pd
import pytest

from companion.data import check_event_log, sessionize
from companion.data import split_by_user
from companion.data.purchase import generate_purchase_sessions
from companion.metrics import binary_report, choose_threshold, expected_calibration_error, reliability_table


@pytest.fixture(scope="module")
def small():
    return generate_purchase_sessions(n_users=300, seed=3)


def test_deterministic_and_schema(small):
    again = generate_purchase_sessions(n_users=300, seed=3)
    pd.testing.assert_frame_equal(small.events, again.events)
    pd.testing.assert_frame_equal(small.prefixes, again.prefixes)
    other = generate_purchase_sessions(n_users=300, seed=4)
    assert not small.prefixes["label"].equals(other.prefixes["label"]) or not small.events.equals(other.events)
    ev = small.events
    assert list(ev.columns) == ["user_id", "item_id", "event", "timestamp", "session_id", "category"]
    check_event_log(ev)
    assert set(ev["event"]) <= {"view", "cart", "buy"}
    # a buy row exactly for the sessions labelled 1, and always last in its session
    buys = ev[ev["event"] == "buy"]["session_id"]
    assert sorted(buys) == sorted(small.prefixes.loc[small.prefixes["label"] == 1, "session_id"])
    last = ev.groupby("session_id")["event"].last()
    assert (last[buys] == "buy").all()
    # items belong to the category written in the log
    cat = small.items.set_index("item_id")["category"]
    assert (cat[ev["item_id"]].to_numpy() == ev["category"].to_numpy()).all()


def test_sessions_recovered_by_sessionize(small):
    s = sessionize(small.events, gap=1800)
    assert s["session"].nunique() == small.events["session_id"].nunique()
    assert (s.groupby("session")["session_id"].nunique() == 1).all()


def test_prefix_arrays(small):
    ev, ca = small.arrays()
    pf = small.prefixes
    assert ev.shape == ca.shape == (len(pf), small.max_len)
    assert ((ev > 0).sum(1) == pf["prefix_len"].to_numpy()).all()
    assert ((ev > 0) == (ca > 0)).all()
    assert (pf["prefix_len"] <= pf["session_len"]).all()
    assert (pf["session_len"] - pf["prefix_len"] <= small.params["horizon"]).all()
    # left padding: once a row starts it never pads again
    started = np.maximum.accumulate(ev > 0, axis=1)
    assert ((ev > 0) == started).all()
    bag = small.bag_of_events()
    assert (bag[["n_view", "n_cart"]].sum(1) == pf["prefix_len"].to_numpy()).all()
    assert (bag.filter(like="n_cat_").sum(1) == pf["prefix_len"].to_numpy()).all()


def test_posterior_matches_empirical_rate():
    d = generate_purchase_sessions(n_users=12000, seed=11)
    y = d.prefixes["label"].to_numpy()
    p = d.prefixes["p_true"].to_numpy()
    assert ((p > 0) & (p < 1)).all()
    z = (y - p).sum() / np.sqrt((p * (1 - p)).sum())
    assert abs(z) < 4, z
    # within each decile of p_true, the observed rate agrees within 4 binomial standard errors
    q = pd.qcut(p, 10, labels=False, duplicates="drop")
    for b in np.unique(q):
        m = q == b
        se = np.sqrt((p[m] * (1 - p[m])).sum()) / m.sum()
        assert abs(y[m].mean() - p[m].mean()) < 4 * se + 1e-3, (b, y[m].mean(), p[m].mean())


def test_posterior_limits():
    # emissions that do not depend on the intent: the posterior equals the prior pushed forward
    d = generate_purchase_sessions(n_users=200, seed=0, cart_prob=(0.2, 0.2), stay_prob=(0.5, 0.5),
                                   convert_prob=0.0, drop_prob=0.0, buy_prob=(0.0, 1.0))
    ev, ca = d.arrays()
    first = ca[np.arange(len(ca)), (ca == 0).sum(1)] - 1
    prior = np.asarray(d.params["prior"])
    np.testing.assert_allclose(d.prefixes["p_true"], prior[first], atol=1e-12)
    # a cart is impossible when browsing and intent never changes: one cart means P = buy_prob[1]
    d = generate_purchase_sessions(n_users=50, seed=0, cart_prob=(0.0, 0.5), convert_prob=0.0,
                                   drop_prob=0.0, buy_prob=(0.1, 0.7))
    p = d.posterior(np.array([[0, 1, 2]]), np.array([[0, 3, 5]]))
    np.testing.assert_allclose(p, [0.7])
    p0 = d.posterior(np.array([[1]]), np.array([[2]]))  # one view in category 1
    pri = d.params["prior"][1]
    post = pri * 0.5 / (pri * 0.5 + (1 - pri) * 1.0)
    np.testing.assert_allclose(p0, [0.7 * post + 0.1 * (1 - post)])


def test_posterior_bayes_by_hand():
    d = generate_purchase_sessions(n_users=50, seed=0, horizon=0)  # cut at the very end: no future steps
    cart, stay, buy = (np.asarray(d.params[k]) for k in ("cart_prob", "stay_prob", "buy_prob"))
    a, b = d.params["convert_prob"], d.params["drop_prob"]
    T = np.array([[1 - a, a], [b, 1 - b]])
    pri = d.params["prior"][2]
    alpha = np.array([1 - pri, pri]) * (1 - cart)  # view in category 2
    alpha = (alpha @ T) * cart * stay  # cart, same category
    alpha /= alpha.sum()
    np.testing.assert_allclose(d.posterior(np.array([[1, 2]]), np.array([[3, 3]])), [alpha @ buy])


@pytest.mark.parametrize("kwargs, match", [
    (dict(n_users=0), "n_users"),
    (dict(n_users=2.5), "n_users"),
    (dict(n_categories=1), "n_categories"),
    (dict(n_items=3, n_categories=8), "n_items"),
    (dict(max_len=1), "max_len"),
    (dict(continue_prob=1.0), "continue_prob"),
    (dict(cart_prob=(0.1, 1.2)), "cart_prob"),
    (dict(cart_prob=0.3), "cart_prob"),
    (dict(stay_prob=(0.0, 0.5)), "stay_prob"),
    (dict(prior=[0.5, 0.5]), "prior"),
    (dict(prior=[0.5] * 7 + [1.5]), "prior"),
    (dict(sessions_per_user=0.5), "sessions_per_user"),
    (dict(horizon=-1), "horizon"),
    (dict(seed=-1), "seed"),
])
def test_generator_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        generate_purchase_sessions(**kwargs)


def test_posterior_validation(small):
    with pytest.raises(ValueError, match="same shape"):
        small.posterior(np.ones((2, 3), dtype=int), np.ones((2, 4), dtype=int))
    with pytest.raises(ValueError, match="event codes"):
        small.posterior(np.array([[3]]), np.array([[1]]))
    with pytest.raises(ValueError, match="category codes"):
        small.posterior(np.array([[1]]), np.array([[99]]))
    with pytest.raises(ValueError, match="padded"):
        small.posterior(np.array([[0, 1]]), np.array([[1, 1]]))
    with pytest.raises(ValueError, match="empty"):
        small.posterior(np.array([[0, 0]]), np.array([[0, 0]]))
    with pytest.raises(ValueError, match="integer"):
        small.posterior(np.array([[1.0]]), np.array([[1.0]]))


def test_split_by_user(small):
    users = small.prefixes["user_id"].to_numpy()
    sp = split_by_user(users, seed=0)
    total = sp["train"].astype(int) + sp["valid"] + sp["test"]
    assert (total == 1).all()
    assert not set(users[sp["train"]]) & set(users[sp["test"]])
    assert not set(users[sp["valid"]]) & set(users[sp["test"]])
    with pytest.raises(ValueError, match="fractions"):
        split_by_user(users, (0.5, 0.5, 0.5))
    with pytest.raises(ValueError, match="non-empty"):
        split_by_user([])


def test_metrics():
    y = np.array([0, 0, 1, 1, 1, 0])
    p = np.array([0.1, 0.4, 0.35, 0.8, 0.9, 0.2])
    r = binary_report(y, p, threshold=0.5)
    assert r["auc"] == pytest.approx(8 / 9)
    assert r["f1"] == pytest.approx(0.8)
    assert r["brier"] == pytest.approx(np.mean((p - y) ** 2))
    thr = choose_threshold(y, p)
    assert thr == pytest.approx(0.35)  # predicting 1 for p >= 0.35 gives F1 = 6/7
    t = reliability_table(y, p, bins=2)
    assert t["count"].sum() == 6
    ece = expected_calibration_error(y, p, bins=2)
    # bin [0, .5): p = .1,.4,.35,.2 (mean .2625), y = 0,0,1,0 (.25); bin [.5, 1): mean .85, y = 1
    assert ece == pytest.approx((4 * abs(0.25 - 0.2625) + 2 * abs(1 - 0.85)) / 6)
    with pytest.raises(ValueError, match="sigmoid"):
        binary_report(y, p * 3)
    with pytest.raises(ValueError, match="0 or 1"):
        binary_report(y * 2, p)


def test_torch_model_shapes_and_masking():
    torch = pytest.importorskip("torch")
    from companion.torch import PurchaseLSTM

    torch.manual_seed(0)
    m = PurchaseLSTM(n_categories=5, hidden=8)
    ev = torch.tensor([[0, 0, 1, 2], [1, 1, 2, 1]])
    ca = torch.tensor([[0, 0, 3, 3], [1, 2, 2, 5]])
    m.eval()
    out = m(ev, ca)
    assert out.shape == (2,)
    # padding on the left does not change the output
    out_short = m(ev[:1, 2:], ca[:1, 2:])
    torch.testing.assert_close(out[:1], out_short)
    # dropout masks: training mode is random, eval mode is not
    m.train()
    assert not torch.equal(m(ev, ca), m(ev, ca))
    with pytest.raises(ValueError, match="batch, time"):
        m(ev, ca[:, :3])
    with pytest.raises(ValueError, match="dropout"):
        PurchaseLSTM(5, recurrent_dropout=1.0)


def test_keras_torch_parity():
    torch = pytest.importorskip("torch")
    pytest.importorskip("keras")
    import companion  # noqa: F401  (quiet TensorFlow)
    from companion.keras import PurchaseLSTM as KerasLSTM, load_torch
    from companion.keras.purchase import predict_proba as k_proba
    from companion.torch import PurchaseLSTM
    from companion.torch.purchase import predict_proba as t_proba

    torch.manual_seed(0)
    tm = PurchaseLSTM(n_categories=5, hidden=8)
    km = KerasLSTM(n_categories=5, hidden=8)
    assert [w.shape for w in km.get_layer("lstm").get_weights()] == [(12, 32), (8, 32), (32,)]
    ev = np.array([[0, 0, 1, 2], [1, 1, 2, 1], [0, 0, 0, 2]])
    ca = np.array([[0, 0, 3, 3], [1, 2, 2, 5], [0, 0, 0, 4]])
    load_torch(km, tm)
    pk = k_proba(km, ev, ca)
    pt = t_proba(tm, ev, ca)
    assert pk.shape == pt.shape == (3,)
    np.testing.assert_allclose(pk, pt, atol=1e-5)


def test_exercise_solutions_pass():
    from companion.exercises import check

    assert check("purchase.recurrent_mask_draws", 32, quiet=True)
    assert not check("purchase.recurrent_mask_draws", 32 * 12, quiet=True)
    # exercise 2 by hand: view then cart in category 0, no future steps
    d = generate_purchase_sessions(n_users=10, seed=0, horizon=0)
    P = d.params
    q, s, rho = (np.asarray(P[k]) for k in ("cart_prob", "stay_prob", "buy_prob"))
    T = np.array([[1 - P["convert_prob"], P["convert_prob"]], [P["drop_prob"], 1 - P["drop_prob"]]])
    a = np.array([1 - P["prior"][0], P["prior"][0]]) * (1 - q)
    a = (a @ T) * q * s
    assert check("purchase.posterior_view_cart", float(a / a.sum() @ rho), quiet=True)
    assert not check("purchase.posterior_view_cart", 0.5, quiet=True)
    assert not check("purchase.recency_features", None, quiet=True)
    assert check("purchase.recency_features", 0.78, quiet=True)
    assert not check("purchase.recency_features", 0.69, quiet=True)  # retired, still working
    assert check("purchase.recent_window", 2, quiet=True)
    assert not check("purchase.recent_window", 12, quiet=True)


def test_order_features_by_hand_and_from_the_prefix_only(small):
    from companion.data import order_features

    ev = np.array([[0, 0, 1, 2], [1, 1, 2, 1], [0, 0, 0, 2]])
    ca = np.array([[0, 0, 3, 3], [1, 2, 2, 5], [0, 0, 0, 4]])
    f = order_features(ev, ca, n_categories=5)
    assert list(f.columns) == ["last_is_cart", "carts_last3", "same_category_last2"] + [f"first_cat_{c}" for c in range(5)]
    assert f["last_is_cart"].tolist() == [1, 0, 1]
    assert f["carts_last3"].tolist() == [1, 1, 1]
    assert f["same_category_last2"].tolist() == [1, 0, 0]  # a one-event prefix has no pair
    np.testing.assert_array_equal(f.filter(like="first_cat").to_numpy().argmax(1), [2, 0, 3])
    assert (f.filter(like="first_cat").sum(1) == 1).all()
    # no leakage: the features depend on the prefix only. Rebuild every prefix from the event log
    # truncated at its cut (the first prefix_len events of the session) and compare.
    full = small.order_features()
    e_arr, c_arr = small.arrays()
    log = small.events[small.events["event"] != "buy"]
    k = small.prefixes.set_index("session_id")["prefix_len"]
    code = {"view": 1, "cart": 2}
    for i, sid in enumerate(small.prefixes["session_id"].to_numpy()[:200]):
        s = log[log["session_id"] == sid].iloc[: k[sid]]
        e_i = np.r_[np.zeros(small.max_len - len(s), int), s["event"].map(code).to_numpy()]
        c_i = np.r_[np.zeros(small.max_len - len(s), int), s["category"].to_numpy() + 1]
        np.testing.assert_array_equal(e_i, e_arr[i])
        one = order_features(e_i[None], c_i[None], small.n_categories)
        np.testing.assert_array_equal(one.to_numpy()[0], full[one.columns].to_numpy()[i])
    assert full.shape == (len(small.prefixes), 10 + 3 + 8)
    # changing every event after the cut (type and category) leaves the features unchanged
    import dataclasses

    ev_log = small.events.copy()
    pos = ev_log.groupby("session_id", sort=False).cumcount().to_numpy()
    after = (pos >= k.reindex(ev_log["session_id"]).to_numpy()) & (ev_log["event"] != "buy").to_numpy()
    assert after.sum() > 100
    ev_log.loc[after, "event"] = np.where(ev_log.loc[after, "event"] == "view", "cart", "view")
    ev_log.loc[after, "category"] = (ev_log.loc[after, "category"] + 1) % small.n_categories
    pd.testing.assert_frame_equal(dataclasses.replace(small, events=ev_log).order_features(), full)
    with pytest.raises(ValueError, match="padded at the same positions"):
        order_features(np.array([[0, 1]]), np.array([[1, 1]]), 5)
    with pytest.raises(ValueError, match="empty prefix"):
        order_features(np.array([[0, 0]]), np.array([[0, 0]]), 5)
