"""Churn and discrete-time survival (chapter 12): person-period rows, hazard → survival, the
generator's exact survival against Kaplan–Meier, the two concordance conventions, the ML-100K
proxy's censoring, and the PyTorch/Keras hazard models with ported weights."""
import numpy as np
import pandas as pd
import pytest

from companion import survival as sv
from companion.data.churn import generate_churn_log, movielens_churn, rfm_features


# ----------------------------------------------------------------------------- person-period, by hand
def test_person_period_by_hand():
    pp = sv.person_period([3, 1, 2], [1, 0, 1])
    assert pp["subject"].tolist() == [0, 0, 0, 1, 2, 2]
    assert pp["period"].tolist() == [1, 2, 3, 1, 1, 2]
    assert pp["event"].tolist() == [0, 0, 1, 0, 0, 1]
    capped = sv.person_period([5, 2], [1, 1], n_periods=3)  # an event after the last period: censored there
    assert capped["event"].tolist() == [0, 0, 0, 0, 1] and capped["period"].max() == 3


def test_hazard_targets_are_the_person_period_rows():
    d, e = np.array([3, 1, 2, 4]), np.array([1, 0, 1, 0])
    target, mask = sv.hazard_targets(d, e, 3)
    assert mask.tolist() == [[1, 1, 1], [1, 0, 0], [1, 1, 0], [1, 1, 1]]
    assert target.tolist() == [[0, 0, 1], [0, 0, 0], [0, 1, 0], [0, 0, 0]]
    pp = sv.person_period(d, e, n_periods=3)
    assert mask.sum() == len(pp) and target.sum() == pp["event"].sum()
    assert target[pp["subject"], pp["period"] - 1].tolist() == pp["event"].tolist()


def test_hazard_to_survival_and_back():
    h = np.array([[0.1, 0.5, 0.0, 1.0], [0.2, 0.2, 0.2, 0.2]])
    s = sv.hazard_to_survival(h)
    assert np.allclose(s[0], [0.9, 0.45, 0.45, 0.0]) and np.allclose(s[1], 0.8 ** np.arange(1, 5))
    assert np.allclose(sv.survival_to_hazard(s)[1], 0.2) and np.allclose(sv.survival_to_hazard(s)[0, :3], h[0, :3])
    with pytest.raises(ValueError, match="probabilities"):
        sv.hazard_to_survival([[1.5]])
    with pytest.raises(ValueError, match="increase"):
        sv.survival_to_hazard([[0.5, 0.7]])


@pytest.mark.parametrize("d, e, match", [
    ([1, -2, 3], [1, 0, 1], "negative"),
    ([1, 2, 3], [1, 2, 0], "0/1"),
    ([1, 2, 3], [1, np.nan, 0], "0/1"),
    ([1, 2], [1, 0, 1], "rows"),
    ([1.5, 2, 3], [1, 0, 1], "whole periods"),
    ([0, 2, 3], [1, 0, 1], ">= 1"),
    ([], [], "empty"),
    ([1, np.nan], [1, 0], "NaN"),
])
def test_bad_survival_input_gets_a_clear_error(d, e, match):
    with pytest.raises(ValueError, match=match):
        sv.check_survival(np.array(d), np.array(e))


# ----------------------------------------------------------------------------- concordance conventions
def test_concordance_sign_conventions():
    rng = np.random.default_rng(0)
    t = rng.exponential(size=200)
    risk = -np.log(t) + rng.normal(size=200)  # higher risk, earlier event
    e = rng.random(200) < 0.7
    c = sv.concordance(t, e, risk)
    assert c > 0.6
    assert sv.harrell_c_lifelines(t, -risk, e) == pytest.approx(c, abs=1e-12)  # lifelines wants a time
    assert sv.harrell_c_lifelines(t, risk, e) == pytest.approx(1 - c, abs=1e-12)  # a risk passed to lifelines
    # tied times (discrete periods) and tied scores: the same pairs and half credit in both
    d = rng.integers(1, 5, 100)
    score = rng.integers(0, 3, 100).astype(float)
    ev = rng.random(100) < 0.6
    assert sv.harrell_c_lifelines(d, -score, ev) == pytest.approx(sv.concordance(d, ev, score), abs=1e-12)


def test_integrated_brier_of_the_truth_beats_a_flat_curve():
    log = generate_churn_log(3000, seed=1)
    task = log.landmark(horizon=8)
    tr, te = np.arange(len(task.duration)) % 2 == 0, np.arange(len(task.duration)) % 2 == 1
    train, test = (task.duration[tr], task.event[tr]), (task.duration[te], task.event[te])
    times = np.arange(1, 8)
    truth = sv.integrated_brier(train, test, task.true_survival[te], times)
    flat = sv.integrated_brier(train, test, np.tile(task.true_survival[tr].mean(0), (te.sum(), 1)), times)
    assert truth < flat
    assert sv.brier_at(train, test, task.true_survival[te], times).shape == (7,)
    cal = sv.calibration_at(task.true_survival[te][:, 3], *test, 4, n_groups=4)
    assert (abs(cal["predicted S"] - cal["Kaplan-Meier S"]) < 0.06).all()


# ----------------------------------------------------------------------------- the generator
def test_true_survival_matches_kaplan_meier_on_a_large_sample():
    from sksurv.nonparametric import kaplan_meier_estimator

    log = generate_churn_log(20_000, end_week=60, seed=3)
    task = log.landmark(horizon=10)
    # uncensored truth: the mean of the exact curves is the population's survival
    emp = np.array([(task.true_duration > k).mean() for k in range(1, 11)])
    assert np.abs(task.true_survival.mean(0) - emp).max() < 0.01
    # censored data: Kaplan-Meier recovers it too
    t, km = kaplan_meier_estimator(task.event.astype(bool), task.duration.astype(float))
    km_at = np.array([km[t <= k][-1] for k in range(1, 11)])
    assert np.abs(task.true_survival.mean(0) - km_at).max() < 0.015
    # and per user: the exact curves are calibrated within groups of predicted risk
    s4 = task.true_survival[:, 3]
    for idx in np.array_split(np.argsort(s4), 5):
        assert abs(s4[idx].mean() - (task.true_duration[idx] > 4).mean()) < 0.02


def test_generator_log_and_landmark_shapes():
    log = generate_churn_log(500, end_week=20, landmark=5, seed=0)
    w = log.weeks
    assert (w["calendar_week"] < 20).all() and set(w.columns) >= {"user_id", "week", "sessions", "bad"}
    last = w.groupby("user_id")["week"].max()
    u = log.users.set_index("user_id")
    assert (last <= u.loc[last.index, "churn_week"]).all()
    task = log.landmark()
    assert task.sequences.shape == (len(task.duration), 5, 3)
    assert (task.duration <= task.follow_up).all() and (task.duration >= 1).all()
    assert ((task.event == 1) == (task.true_duration <= task.follow_up)).all()
    with pytest.raises(ValueError, match="landmark"):
        generate_churn_log(10, end_week=5, landmark=4)


def test_rfm_features_by_hand():
    f = rfm_features(np.array([[1, 0, 2, 0], [0, 0, 0, 0], [0, 0, 0, 3]]), np.zeros((3, 4)))
    assert f["recency"].tolist() == [1, 4, 0] and f["frequency"].tolist() == [2, 0, 1]
    assert f["volume"].tolist() == [3, 0, 3]


def test_movielens_churn_censoring_by_hand():
    day = 86_400
    r = pd.DataFrame({"user_id": [1, 1, 2, 2, 3, 3, 4, 4], "item_id": 1, "rating": 4,
                      "timestamp": np.array([0, 3, 0, 20, 0, 45, 50, 52]) * day})
    m = movielens_churn(r, landmark_days=7, window_days=30)
    u = m.users.set_index("user_id")
    # user 1: nothing after the cutoff (day 7) until day 37 <= end (52): churn
    # user 2: rated again on day 20: not churned; user 3: next rating day 45 > 37: churn
    # user 4: cutoff day 57 > end, window runs past the end, no rating after: censored
    assert u.loc[1, "label"] == 1 and u.loc[2, "label"] == 0 and u.loc[3, "label"] == 1
    assert np.isnan(u.loc[4, "label"]) and u["censored"].tolist() == [False, False, False, True]
    assert u.loc[2, "volume"] == 1 and u.loc[2, "leaky_volume"] == 2  # features stop at the cutoff
    assert m.sequences.shape == (4, 50, 3) and m.sequences[1, -1, 2] == 1 and m.sequences[1, -2, 2] == 0 and m.sequences[0, -2, 2] == 1
    with pytest.raises(ValueError, match="columns"):
        movielens_churn(r.drop(columns="rating"))


# ----------------------------------------------------------------------------- models
def test_torch_hazard_loss_is_the_person_period_bce():
    torch = pytest.importorskip("torch")
    from companion.torch.churn import RecurrentHazard, hazard_loss

    torch.manual_seed(0)
    m = RecurrentHazard(3, 4, 5)
    x = torch.randn(6, 7, 3)
    d, e = np.array([1, 3, 5, 7, 2, 4]), np.array([1, 0, 1, 1, 0, 1])
    target, mask = sv.hazard_targets(d, e, 5)
    loss = hazard_loss(m, (x, torch.as_tensor(np.concatenate([target, mask], 1))))
    pp = sv.person_period(d, e, n_periods=5)
    logits = m(x).detach().numpy()[pp["subject"], pp["period"] - 1]
    p = 1 / (1 + np.exp(-logits))
    bce = -(pp["event"] * np.log(p) + (1 - pp["event"]) * np.log(1 - p))
    assert float(loss.detach()) == pytest.approx(bce.sum() / 6, rel=1e-5)
    with pytest.raises(ValueError, match="batch, time"):
        m(torch.randn(2, 3))
    with pytest.raises(ValueError, match="kind"):
        RecurrentHazard(3, 4, 5, kind="rnn")


@pytest.mark.parametrize("kind", ["gru", "lstm"])
def test_keras_recurrent_hazard_matches_torch_with_ported_weights(kind):
    torch = pytest.importorskip("torch")
    pytest.importorskip("keras")
    from companion.keras import load_torch
    from companion.keras.churn import RecurrentHazard as KH, hazard_loss as k_loss, predict_hazard as k_pred
    from companion.torch.churn import RecurrentHazard as TH, hazard_loss as t_loss, predict_hazard as t_pred

    torch.manual_seed(0)
    tm = TH(3, 6, 4, kind=kind).eval()
    km = load_torch(KH(3, 6, 4, kind=kind), tm)
    x = np.random.default_rng(0).normal(size=(5, 8, 3)).astype("float32")
    assert np.abs(k_pred(km, x) - t_pred(tm, x)).max() <= 1e-5
    target, mask = sv.hazard_targets(np.array([1, 2, 3, 4, 5]), np.array([1, 1, 0, 1, 0]), 4)
    y = np.concatenate([target, mask], 1)
    tl = float(t_loss(tm, (torch.as_tensor(x), torch.as_tensor(y))).detach())
    import keras

    kl = float(keras.ops.convert_to_numpy(k_loss(y, km(x))))
    assert abs(tl - kl) <= 1e-5
    with pytest.raises(ValueError, match="configurations"):
        load_torch(KH(3, 6, 5, kind=kind), tm)


def test_fit_recurrent_hazard_learns_on_the_synthetic_log():
    torch = pytest.importorskip("torch")
    import companion
    from companion.data import batch_stream
    from companion.torch import fit
    from companion.torch.churn import RecurrentHazard, hazard_loss, predict_hazard

    companion.seed_everything(0)
    task = generate_churn_log(3000, seed=2).landmark(horizon=6)
    target, mask = sv.hazard_targets(task.duration, task.event, 6)
    y = np.concatenate([target, mask], 1)
    m = RecurrentHazard(3, 16, 6)
    fit(m, batch_stream(task.sequences, y, batch_size=128, seed=0), hazard_loss, epochs=6, lr=3e-2)
    s = sv.hazard_to_survival(predict_hazard(m, task.sequences))
    c = sv.concordance(task.duration, task.event, -s.sum(1))
    c_true = sv.concordance(task.duration, task.event, -task.true_survival.sum(1))
    assert 0.62 < c <= c_true + 0.02
