"""Chapter 11 (click-through prediction): data, GAUC, the activation unit, the torch/keras twins, DeepCTR."""
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from companion.data import CTRData, generate_impressions, movielens_ctr, split_impressions
from companion.data.impressions import cross_features
from companion.evaluation import paired_gauc_bootstrap
from companion.metrics import auc, gauc, per_user_auc, rela_impr


@pytest.fixture(scope="module")
def syn():
    return generate_impressions(n_users=300, n_items=60, days=30, seed=0)


# ----------------------------------------------------------------------------- metrics
def test_gauc_by_hand_and_against_sklearn_per_user():
    y = np.array([1, 0, 0, 1, 1, 0, 0, 1, 1, 0])
    p = np.array([0.9, 0.2, 0.4, 0.3, 0.6, 0.5, 0.1, 0.7, 0.8, 0.8])
    u = np.array([1, 1, 1, 2, 2, 2, 2, 3, 3, 4])  # user 3 only clicks, user 4 one non-click: no AUC
    t = per_user_auc(y, p, u)
    assert t["user"].tolist() == [1, 2] and t.attrs["dropped_users"] == 2
    assert np.allclose(t["auc"], [roc_auc_score(y[u == k], p[u == k]) for k in (1, 2)])
    assert gauc(y, p, u) == pytest.approx((3 * 1.0 + 4 * 0.75) / 7, abs=1e-12)


def test_gauc_on_random_data_matches_sklearn_and_ties_count_half():
    rng = np.random.default_rng(0)
    u = rng.integers(0, 30, 600)
    y = rng.integers(0, 2, 600)
    p = np.round(rng.random(600), 1)  # many ties
    per = [(np.sum(u == k), roc_auc_score(y[u == k], p[u == k])) for k in np.unique(u) if len(set(y[u == k])) == 2]
    w, a = np.array(per).T
    assert gauc(y, p, u) == pytest.approx(np.average(a, weights=w), abs=1e-12)
    assert auc(y, p) == pytest.approx(roc_auc_score(y, p), abs=1e-12)


def test_rela_impr_and_metric_errors():
    assert rela_impr(0.8871, 0.8624) == pytest.approx((0.3871 / 0.3624 - 1) * 100)
    with pytest.raises(ValueError, match="base AUC above 0.5"):
        rela_impr(0.7, 0.5)
    with pytest.raises(ValueError, match="both a click and a non-click"):
        gauc([1, 1, 0], [0.1, 0.2, 0.3], [1, 1, 2])
    with pytest.raises(ValueError, match="users has shape"):
        gauc([1, 0], [0.1, 0.2], [1])
    with pytest.raises(ValueError, match="labels must be 0 or 1"):
        gauc([2, 0], [0.1, 0.2], [1, 1])
    with pytest.raises(ValueError, match="both a positive and a negative"):
        auc([1, 1], [0.1, 0.2])


def test_paired_gauc_bootstrap_resamples_users():
    rng = np.random.default_rng(1)
    u = np.repeat(np.arange(40), 6)
    y = rng.integers(0, 2, len(u))
    good, bad = y + rng.normal(0, 0.8, len(u)), rng.random(len(u))
    good = 1 / (1 + np.exp(-good))
    b = paired_gauc_bootstrap(y, {"good": good, "bad": bad}, u, n_boot=200, seed=0)
    assert b.estimate["good"] == pytest.approx(gauc(y, good, u))
    lo = np.percentile(b.difference("good", "bad"), 2.5)
    assert lo > 0 and b.n_groups == len(per_user_auc(y, good, u))


# ----------------------------------------------------------------------------- data
def test_generator_true_probability_is_the_ceiling(syn):
    assert isinstance(syn, CTRData)
    y, p = syn.labels, syn.impressions["p_true"].to_numpy()
    z = (y - p).sum() / np.sqrt((p * (1 - p)).sum())
    assert abs(z) < 3
    # the relevance the generator stores is the one it used: recompute P(click) from it
    pr = syn.params
    from companion.data import generate_shop_log

    shop = generate_shop_log(pr["n_users"], pr["n_items"], pr["n_categories"], pr["days"],
                             taste_concentration=pr["interest_concentration"], seed=pr["seed"])
    logpop = np.log(shop.items["popularity"].to_numpy())
    zc = ((logpop - logpop.mean()) / logpop.std())[syn.impressions["item_id"].to_numpy() - 1]
    logit = pr["bias"] + pr["popularity_coef"] * zc + pr["interest_coef"] * np.log1p(syn.relevance.sum(1))
    assert np.allclose(1 / (1 + np.exp(-logit)), p)
    # relevance is zero at padding and where the behavior's category differs from the candidate's
    cat = syn.item_features.argmax(1)
    cand = cat[syn.impressions["item_id"].to_numpy()]
    same = (cat[syn.history] == cand[:, None]) & (syn.history > 0)
    assert ((syn.relevance > 0) == same).all()
    # on average no model can beat the truth's log-loss: a constant does worse, and so does a noisy truth
    te = syn.split["test"]
    ll = lambda q: -np.mean(y[te] * np.log(q[te]) + (1 - y[te]) * np.log(1 - q[te]))  # noqa: E731
    noisy = 1 / (1 + np.exp(-(logit + np.random.default_rng(0).normal(0, 1, len(p)))))
    assert ll(p) < ll(np.full_like(p, y[~te].mean())) and ll(p) < ll(noisy)


def test_generator_histories_are_left_padded_and_split_by_user(syn):
    h = syn.history
    n = (h > 0).sum(1)
    assert all((row[: len(row) - k] == 0).all() and (row[len(row) - k:] > 0).all() for row, k in zip(h, n))
    parts = [set(syn.users[m]) for m in syn.split.values()]
    assert not (parts[0] & parts[1]) and not (parts[0] & parts[2]) and not (parts[1] & parts[2])
    assert sum(m.sum() for m in syn.split.values()) == len(syn.impressions)
    assert (n >= syn.params["min_history"]).all()


def test_generator_and_split_errors():
    with pytest.raises(ValueError, match="n_users"):
        generate_impressions(n_users=0)
    with pytest.raises(ValueError, match="relevant_share"):
        generate_impressions(n_users=10, relevant_share=1.5)
    with pytest.raises(ValueError, match="fractions"):
        split_impressions([1, 2, 3, 4], fractions=(0.5, 0.5, 0.5))
    with pytest.raises(ValueError, match="at least 3 users"):
        split_impressions([1, 1, 2])


def test_movielens_ctr_protocol():
    from companion.data import load_movielens_100k

    ml = movielens_ctr(max_len=10, targets_per_user=5, seed=0)
    raw = load_movielens_100k()
    assert len(ml.impressions) == 5 * raw["user_id"].nunique()
    assert (ml.impressions["label"] == (ml.impressions["rating"] >= 4)).all()
    for j in (0, 17, 333):  # each history: the last 10 movies rated strictly earlier, most recent last
        r = ml.impressions.iloc[j]
        mine = raw[raw.user_id == r.user_id].sort_values(["timestamp", "item_id"], kind="stable")
        assert np.array_equal(ml.history[j][ml.history[j] > 0], mine[mine.timestamp < r.timestamp].item_id.to_numpy()[-10:])
    assert ml.item_features.shape == (1683, 19) and (ml.item_features[1:].sum(1) >= 1).all()
    assert not set(ml.users[ml.split["train"]]) & set(ml.users[ml.split["test"]])
    with pytest.raises(ValueError, match="lack the column"):
        movielens_ctr(raw.drop(columns="rating"))
    with pytest.raises(ValueError, match="max_len"):
        movielens_ctr(max_len=0)


def test_cross_features_shape(syn):
    X = cross_features(syn, recent=3)
    F = syn.item_features.shape[1]
    assert X.shape == (len(syn.impressions), syn.n_items + 3 * F + 2 * F * F)
    with pytest.raises(ValueError, match="recent"):
        cross_features(syn, recent=0)


# ----------------------------------------------------------------------------- models (PyTorch)
torch = pytest.importorskip("torch")


def _toy():
    rng = np.random.default_rng(0)
    feats = np.zeros((12, 3), np.float32)
    feats[1:] = rng.integers(0, 2, (11, 3))
    feats[1:, 0] = 1
    item = rng.integers(1, 12, 6)
    hist = rng.integers(1, 12, (6, 5))
    hist[0, :] = 0  # no history at all
    hist[1, :3] = 0  # left padding
    return feats, item, hist


def test_activation_unit_by_hand_with_padding():
    from companion.torch.ctr import DIN

    feats, item, hist = _toy()
    torch.manual_seed(0)
    for softmax in (False, True):
        m = DIN(12, feats, embedding_dim=3, hidden=(4,), attention_hidden=(5,), softmax=softmax).eval()
        with torch.no_grad():
            for p in m.attention.parameters():
                p.normal_()
            w = m.attention_weights(torch.as_tensor(item), torch.as_tensor(hist)).numpy()
            E = m.embed.item.weight.numpy()
            Fw = m.embed.feature.weight.numpy()
            mlp = m.attention.mlp
            W1, b1, a1 = mlp.dense[0].weight.numpy(), mlp.dense[0].bias.numpy(), mlp.act[0].alpha.numpy()
            w2, b2 = mlp.out.weight.numpy()[0], mlp.out.bias.numpy()[0]
        means = feats / np.maximum(feats.sum(1, keepdims=True), 1)
        vec = lambda i: np.r_[E[i], Fw @ means[i]]  # noqa: E731  id embedding ⊕ mean feature embedding
        for b in range(len(item)):
            q = vec(item[b])
            raw = []
            for i in hist[b]:
                k = vec(i)
                h = W1 @ np.r_[q, k, q - k, q * k] + b1
                raw.append(np.where(h > 0, h, a1 * h) @ w2 + b2)
            raw, valid = np.array(raw), hist[b] > 0
            if softmax:
                e = np.where(valid, np.exp(raw / np.sqrt(len(q))), 0.0)
                expect = e / e.sum() if valid.any() else np.zeros_like(raw)
            else:
                expect = np.where(valid, raw, 0.0)
            assert np.abs(w[b] - expect).max() < 1e-5, (softmax, b)
            assert (w[b][~valid] == 0).all()


def test_models_ignore_what_is_behind_the_padding():
    from companion.torch.ctr import BST, DIN, EmbeddingMLP

    feats, item, hist = _toy()
    other = hist.copy()
    other[hist == 0] = 0
    for make in (lambda: EmbeddingMLP(12, feats, embedding_dim=4, hidden=(6,)),
                 lambda: DIN(12, feats, embedding_dim=4, hidden=(6,), softmax=True),
                 lambda: BST(12, feats, embedding_dim=4, hidden=(6,), max_len=5)):
        torch.manual_seed(0)
        m = make().eval()
        with torch.no_grad():
            m.embed.item.weight[0] = 100.0  # the padding row: must never matter
            a = m(torch.as_tensor(item), torch.as_tensor(hist))
            m.embed.item.weight[0] = -7.0
            b = m(torch.as_tensor(item), torch.as_tensor(hist))
        assert torch.allclose(a, b, atol=1e-6), type(m).__name__


def test_dice_is_prelu_like_with_batch_statistics():
    from companion.torch.ctr import Dice

    d = Dice(3)
    with torch.no_grad():
        d.alpha.fill_(0.5)
    x = torch.randn(64, 3)
    d.train()
    y = d(x)
    p = torch.sigmoid((x - x.mean(0)) / torch.sqrt(x.var(0, unbiased=False) + 1e-8))
    assert torch.allclose(y, p * x + (1 - p) * 0.5 * x, atol=1e-5)
    d.eval()  # running statistics at inference
    p = torch.sigmoid((x - d.bn.running_mean) / torch.sqrt(d.bn.running_var + 1e-8))
    assert torch.allclose(d(x), p * x + (1 - p) * 0.5 * x, atol=1e-5)


def test_model_errors():
    from companion.torch.ctr import BST, DIN, EmbeddingMLP

    feats, item, hist = _toy()
    with pytest.raises(ValueError, match="n_items"):
        DIN(1)
    with pytest.raises(ValueError, match="activation"):
        DIN(12, activation="relu")
    with pytest.raises(ValueError, match="item_features must have shape"):
        EmbeddingMLP(12, feats[:5])
    with pytest.raises(ValueError, match="pooling"):
        EmbeddingMLP(12, pooling="max")
    with pytest.raises(ValueError, match="heads"):
        BST(12, embedding_dim=3, heads=2)
    with pytest.raises(ValueError, match="max_len"):
        BST(12, max_len=4)(torch.as_tensor(item), torch.as_tensor(hist))
    with pytest.raises(ValueError, match="item must be"):
        DIN(12)(torch.as_tensor(hist), torch.as_tensor(hist))


# ----------------------------------------------------------------------------- PyTorch and Keras
@pytest.mark.parametrize("name,kw", [("EmbeddingMLP", {}), ("EmbeddingMLP", {"pooling": "sum", "activation": "dice"}),
                                     ("DIN", {}), ("DIN", {"softmax": True}),
                                     ("DIN", {"activation": "dice", "attention_activation": "dice"}),
                                     ("BST", {"max_len": 5})])
def test_keras_twins_agree_with_ported_weights(name, kw):
    keras = pytest.importorskip("keras")
    import companion.keras.ctr as kc
    import companion.torch.ctr as tc
    from companion.keras import load_torch

    feats, item, hist = _toy()
    torch.manual_seed(0)
    tm = getattr(tc, name)(12, feats, embedding_dim=4, hidden=(6, 3), **kw)
    opt = torch.optim.Adam(tm.parameters(), 1e-2)
    x = {"item": torch.as_tensor(item), "history": torch.as_tensor(hist)}
    for _ in range(3):  # a few steps, so Dice's running statistics and PReLU's alpha move
        tm.train()
        opt.zero_grad()
        tc.ctr_loss(tm, (x, torch.ones(len(item)))).backward()
        opt.step()
    tm.eval()
    km = load_torch(getattr(kc, name)(12, feats, embedding_dim=4, hidden=(6, 3), **kw), tm)
    x_np = {"item": item, "history": hist}
    assert np.abs(tc.predict_proba(tm, x_np) - kc.predict_proba(km, x_np)).max() < 1e-5
    if name != "EmbeddingMLP":
        with torch.no_grad():
            wt = tm.attention_weights(x["item"], x["history"]).numpy()
        assert np.abs(wt - keras.ops.convert_to_numpy(km.attention_weights(x_np))).max() < 1e-5


def test_porting_refuses_a_different_configuration():
    pytest.importorskip("keras")
    import companion.keras.ctr as kc
    import companion.torch.ctr as tc
    from companion.keras import load_torch

    feats, *_ = _toy()
    with pytest.raises(ValueError, match="softmax differs"):
        load_torch(kc.DIN(12, feats, embedding_dim=4), tc.DIN(12, feats, embedding_dim=4, softmax=True))
    with pytest.raises(TypeError):
        load_torch(kc.BST(12, feats, embedding_dim=4), tc.DIN(12, feats, embedding_dim=4))


def test_keras_din_trains(syn):
    pytest.importorskip("keras")
    import companion
    import companion.keras.ctr as kc
    from companion.data import batch_stream
    from companion.keras import fit

    companion.seed_everything(0)
    m = kc.DIN(syn.n_items, syn.item_features, embedding_dim=4, hidden=(16,))
    tr, va = syn.split["train"], syn.split["valid"]
    h = fit(m, batch_stream(syn.inputs("train"), syn.labels[tr].astype("float32"), batch_size=128, seed=0), kc.ctr_loss,
            evaluate=lambda mm: gauc(syn.labels[va], kc.predict_proba(mm, syn.inputs("valid")), syn.users[va]),
            epochs=6, lr=1e-2)
    assert h.best_score > 0.55 and h.train_loss[-1] < h.train_loss[0]


# ----------------------------------------------------------------------------- DeepCTR-Torch
def test_deepctr_din_runs_quietly_on_the_same_inputs(syn, capfd):
    import importlib.util

    if importlib.util.find_spec("deepctr_torch") is None:  # not importorskip: a plain import prints the version check
        pytest.skip("deepctr-torch is not installed")
    from companion.torch.ctr import deepctr_din

    cats = np.r_[0, syn.item_features[1:].argmax(1) + 1]
    model, to_x = deepctr_din(syn.n_items, cats, embedding_dim=4, hidden=(8,), max_len=syn.max_len)
    x = syn.inputs()
    X = to_x({k: v[:50] for k, v in x.items()})
    out, err = capfd.readouterr()
    assert "latest version" not in out + err
    n = (x["history"][:50] > 0).sum(1)
    seq_len_col = model.feature_index["seq_length"][0]
    assert np.array_equal(X[:, seq_len_col].numpy(), n)
    a, b = model.feature_index["hist_item"]
    right = X[:, a:b].numpy().astype(int)
    for i in range(50):  # right-padded: the same items in the same order
        assert np.array_equal(right[i, :n[i]], x["history"][i][x["history"][i] > 0]) and (right[i, n[i]:] == 0).all()
    with torch.no_grad():
        p = model(X).squeeze(-1).numpy()
    assert p.shape == (50,) and ((p > 0) & (p < 1)).all()
