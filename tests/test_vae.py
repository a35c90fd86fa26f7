"""The VAE chapter: protocols, set ranking metrics, item-set baselines, the anomaly shop, Mult-VAE/DAE."""
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import companion
from companion.baselines import EASE, ItemSetKNN, RP3beta
from companion.data import generate_shop_log
from companion.data.anomalies import KINDS, favourite_items, inject_anomalies
from companion.data.user_item import (as_item_lists, interaction_matrix, random_split, scores_of,
                                      strong_generalization_split)
from companion.metrics import set_ranking_metrics
from companion.vae import KLAnneal, evaluate_fold_in, gaussian_kl, user_batches


def _ratings(n_users=60, n_items=40, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(1, n_users + 1):
        for i in rng.choice(np.arange(1, n_items + 1), size=rng.integers(8, 20), replace=False):
            rows.append((u, i, int(rng.integers(1, 6)), 0))
    return pd.DataFrame(rows, columns=["user_id", "item_id", "rating", "timestamp"])


# ---------------------------------------------------------------- metrics

def test_set_ranking_metrics_by_hand():
    scores = np.array([[0.9, 0.8, 0.7, 0.6, 0.5]])
    held = np.array([[0, 1, 0, 1, 0]])
    m = set_ranking_metrics(scores, held, ks=(1, 2, 5))
    assert m["recall@1"] == 0 and m["recall@2"] == pytest.approx(0.5) and m["recall@5"] == 1
    dcg = 1 / np.log2(3) + 1 / np.log2(5)
    assert m["ndcg@5"] == pytest.approx(dcg / (1 + 1 / np.log2(3)))
    # Liang's recall divides by min(K, |R|): a perfect top-1 scores 1; RecBole's divides by |R|
    perfect = np.array([[0.1, 0.9, 0.0, 0.8, 0.0]])
    assert set_ranking_metrics(perfect, held, ks=(1,))["recall@1"] == 1
    assert set_ranking_metrics(perfect, held, ks=(1,), recall="all")["recall@1"] == 0.5
    # excluded items leave the ranking
    ex = np.array([[1, 0, 0, 0, 0]])
    assert set_ranking_metrics(scores, held, ks=(1,), exclude=ex)["recall@1"] == 1


def test_set_ranking_metrics_errors():
    s = np.zeros((2, 3))
    with pytest.raises(ValueError, match="no held-out item"):
        set_ranking_metrics(s, np.array([[1, 0, 0], [0, 0, 0]]))
    with pytest.raises(ValueError, match="also held out"):
        set_ranking_metrics(s, np.eye(2, 3), exclude=np.eye(2, 3))
    with pytest.raises(ValueError, match="NaN"):
        set_ranking_metrics(np.full((2, 3), np.nan), np.eye(2, 3))
    with pytest.raises(ValueError, match="recall"):
        set_ranking_metrics(s, np.eye(2, 3), recall="some")


# ---------------------------------------------------------------- protocols

def test_strong_generalization_split_is_the_papers():
    r = _ratings()
    s = strong_generalization_split(r, n_heldout=10)
    assert s.train.shape[0] + len(s.valid_users) + len(s.test_users) == r[r.rating >= 4].groupby("user_id").size().ge(5).sum()
    assert not set(s.train_users) & set(s.test_users) and not set(s.valid_users) & set(s.test_users)
    for x_in, x_out in (s.part("valid"), s.part("test")):
        assert x_in.multiply(x_out).nnz == 0                      # fold-in and held-out disjoint
        n = np.asarray((x_in + x_out).sum(1)).ravel()
        assert (np.asarray(x_out.sum(1)).ravel() == (0.2 * n).astype(int)).all()
    assert set(s.item_ids) == set(r[r.user_id.isin(s.train_users) & (r.rating >= 4)].item_id)
    with pytest.raises(ValueError, match="cannot hold out"):
        strong_generalization_split(r, n_heldout=40)
    with pytest.raises(ValueError, match="rating"):
        strong_generalization_split(r.drop(columns="rating"))


def test_random_split_is_recboles_8_1_1():
    r = _ratings()
    s = random_split(r)
    total = s.train + s.valid + s.test
    assert total.max() == 1 and total.nnz == len(r.drop_duplicates(["user_id", "item_id"]))
    n = np.asarray(total.sum(1)).ravel()
    assert (np.asarray(s.test.sum(1)).ravel() == (0.1 * n).astype(int)).all()
    assert s.exclude("test").multiply(s.test).nnz == 0 and s.exclude("valid").multiply(s.valid).nnz == 0
    with pytest.raises(ValueError, match="ratios"):
        random_split(r, (0.5, 0.5, 0.5))
    assert not np.array_equal(random_split(r, seed=1).test.toarray(), s.test.toarray())


# ---------------------------------------------------------------- baselines

def test_rp3beta_and_item_set_knn_by_formula():
    x = interaction_matrix([0, 0, 1, 1, 2, 2, 2], [0, 1, 1, 2, 0, 1, 3], 3, 4).toarray()
    items = as_item_lists(x)
    m = RP3beta(alpha=1.0, beta=0.0, k=None).fit(items, 5)
    p_ui = x / x.sum(1, keepdims=True)
    p_iu = (x / x.sum(0, keepdims=True)).T
    w = p_iu @ p_ui
    np.fill_diagonal(w, 0)
    assert np.allclose(m.weights[1:, 1:], w)
    assert np.allclose(scores_of(m, x), x @ w)
    beta = RP3beta(alpha=1.0, beta=1.0, k=None).fit(items, 5)
    assert np.allclose(beta.weights[1:, 1:], w / x.sum(0))
    knn = ItemSetKNN(k=None).fit(items, 5)
    norms = np.sqrt(x.sum(0))
    cos = (x.T @ x) / np.outer(norms, norms)
    np.fill_diagonal(cos, 0)
    assert np.allclose(knn.weights[1:, 1:], cos, atol=1e-9)
    assert (np.count_nonzero(ItemSetKNN(k=1).fit(items, 5).weights, axis=0) <= 2).all()  # ties may keep 2
    with pytest.raises(ValueError):
        RP3beta(alpha=0)


def test_ease_beats_popularity_on_the_papers_protocol():
    from companion.baselines import Popularity

    s = strong_generalization_split(companion.load_movielens_100k())
    res = {}
    for name, m in (("pop", Popularity()), ("ease", EASE(300.0))):
        m.fit(as_item_lists(s.train), s.n_items + 1)
        res[name] = evaluate_fold_in(lambda x, m=m: scores_of(m, x), s, "valid")["ndcg@100"]
    assert res["ease"] > res["pop"] + 0.1


# ---------------------------------------------------------------- neutral VAE parts

def test_kl_anneal_counts_updates():
    a = KLAnneal(total_steps=4, cap=0.5)
    assert [a.step() for _ in range(4)] == [0.0, 0.25, 0.5, 0.5] and a.updates == 4
    with pytest.raises(ValueError):
        KLAnneal(0)


def test_gaussian_kl_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    mu, logvar = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    q = torch.distributions.Normal(torch.tensor(mu), torch.tensor(np.exp(0.5 * logvar)))
    p = torch.distributions.Normal(0.0, 1.0)
    assert np.allclose(gaussian_kl(mu, logvar), torch.distributions.kl_divergence(q, p).sum(-1).numpy())


def test_user_batches_cover_every_row_once_in_a_new_order():
    x = sp.csr_matrix(np.arange(10, dtype=float)[:, None] + 1)
    ep = user_batches(x, 4, seed=0)
    a, b = np.concatenate(list(ep())).ravel(), np.concatenate(list(ep())).ravel()
    assert sorted(a) == sorted(b) == list(range(1, 11)) and not np.array_equal(a, b)


# ---------------------------------------------------------------- anomalies

@pytest.fixture(scope="module")
def anomalous():
    return inject_anomalies(generate_shop_log(n_users=300, n_items=150, days=60, seed=3), rate=0.1, seed=1)


def test_anomalies_leave_normal_users_alone_and_hit_the_rate(anomalous):
    a = anomalous
    assert a.rate == pytest.approx(0.1) and set(a.kind[a.is_anomaly]) == set(KINDS)
    normal = a.kind.index[~a.is_anomaly]
    cols = ["user_id", "item_id", "event", "timestamp", "session_id"]
    mine = a.events[a.events.user_id.isin(normal)][cols].reset_index(drop=True)
    orig = a.shop.events[a.shop.events.user_id.isin(normal)][cols].reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, orig, check_dtype=False)
    f = a.count_features()
    assert (f.loc[a.kind == "cart_stuffer", "buys"] == 0).all()
    assert (f.loc[a.kind.isin(["bot", "scraper"]), "carts"] == 0).all()
    bots = a.kind.index[a.kind == "bot"]
    fav = favourite_items(a.shop, a.params["n_fav"])
    for u in bots:
        assert set(a.events[a.events.user_id == u].item_id) <= set(fav[u - 1])


def test_normal_log_likelihood_is_the_generators(anomalous):
    """For a normal user the item term equals Σ log of the generator's own next-item probabilities."""
    a = anomalous
    ll = a.log_likelihoods()
    shop = a.shop
    u = int(a.kind.index[~a.is_anomaly][0])
    rows = shop.events[(shop.events.user_id == u) & (shop.events.event == "view")]
    p = shop.true_next_item_probs(rows)[np.arange(len(rows)), rows.item_id.to_numpy()]
    ev = shop.events[shop.events.user_id == u]
    carts = ev[ev.event == "cart"]
    cu = shop.users.cart_prob[u - 1]
    t0 = pd.Timestamp(shop.params["start"], tz="UTC").timestamp()
    start = ev.groupby("session_id").timestamp.min()
    bday = shop.buy_prob_by_day[((start.loc[carts.session_id].to_numpy() - t0) // 86400).astype(int)]
    bought = carts.set_index(["session_id", "item_id", "timestamp"]).index.map(
        lambda k: ((ev.event == "buy") & (ev.session_id == k[0]) & (ev.item_id == k[1]) & (ev.timestamp == k[2] + 25)).any())
    expected = (np.log(p).sum() + len(carts) * np.log(cu) + (len(rows) - len(carts)) * np.log(1 - cu)
                + np.where(np.asarray(bought), np.log(bday), np.log(1 - bday)).sum())
    assert ll.loc[u, "normal"] == pytest.approx(expected, rel=1e-9)
    # the ceiling: every anomaly is impossible (or far less likely) under the normal model
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(a.is_anomaly, np.clip(ll.llr, -1e12, 1e12)) > 0.99
    assert np.isfinite(ll.loc[a.kind == "cart_stuffer", "llr"]).all()


def test_inject_anomalies_errors():
    shop = generate_shop_log(n_users=50, n_items=40, days=10)
    with pytest.raises(ValueError, match="rate"):
        inject_anomalies(shop, rate=0.7)
    with pytest.raises(ValueError, match="at least"):
        inject_anomalies(shop, rate=0.02)
    with pytest.raises(ValueError, match="SyntheticShop"):
        inject_anomalies(shop.events)


# ---------------------------------------------------------------- models

torch = pytest.importorskip("torch")
import companion.torch as ct  # noqa: E402


def _x(n=40, m=30, seed=0):
    return sp.csr_matrix((np.random.default_rng(seed).random((n, m)) < 0.2).astype(np.float32))


def test_torch_mult_vae_samples_in_training_and_uses_mu_at_scoring():
    companion.seed_everything(0)
    m = ct.MultVAE(30, hidden=16, latent=4, dropout=0.0)
    x = torch.as_tensor(_x().toarray())
    m.train()
    a, b = m(x)[0], m(x)[0]
    assert not torch.allclose(a, b)                             # ε is drawn each call
    s1, s2 = ct.score_vae(m, _x()), ct.score_vae(m, _x())
    assert np.array_equal(s1, s2)                               # z = μ at scoring
    # the reparameterised sample lets the loss reach log σ²
    m.train()
    logits, mu, logvar = m(x)
    ct.multinomial_nll(x, logits).mean().backward()
    assert m.stats.weight.grad[4:].abs().sum() > 0
    dae = ct.MultDAE(30, hidden=16, latent=4)
    assert dae.stats.out_features == 4 and dae(x)[2] is None
    with pytest.raises(ValueError, match="posterior"):
        ct.negative_elbo(dae, _x())


def test_torch_fit_vae_counts_beta_per_update_and_learns():
    companion.seed_everything(0)
    m = ct.MultVAE(30, hidden=16, latent=4)
    x = _x(100)
    h = ct.fit_vae(m, x, epochs=6, batch_size=25, total_anneal_steps=10, anneal_cap=0.3)
    assert len(h.betas) == 6 * 4 and h.betas[:3] == [0.0, 0.1, 0.2] and max(h.betas) == 0.3
    assert h.train_loss[-1] < h.train_loss[0]
    kl = ct.kl_per_dimension(m, x)
    assert kl.shape == (4,) and (kl >= 0).all()
    assert ct.negative_elbo(m, x).shape == (100,) and (ct.reconstruction_error(m, x) > 0).all()


keras = pytest.importorskip("keras")
import companion.keras as ck  # noqa: E402


@pytest.mark.parametrize("cls", ["MultVAE", "MultDAE"])
def test_keras_vae_twin_computes_what_torch_computes(cls):
    companion.seed_everything(0)
    tm = getattr(ct, cls)(30, hidden=16, latent=4)
    km = ck.load_torch(getattr(ck, cls)(30, hidden=16, latent=4), tm)
    x = _x()
    assert np.abs(ct.score_vae(tm, x) - ck.score_vae(km, x)).max() < 1e-5
    assert np.abs(ct.encode_vae(tm, x) - ck.encode_vae(km, x)).max() < 1e-5
    assert np.abs(ct.reconstruction_error(tm, x) - ck.reconstruction_error(km, x)).max() < 1e-3
    if cls == "MultVAE":
        assert np.abs(ct.kl_per_dimension(tm, x) - ck.kl_per_dimension(km, x)).max() < 1e-5
        assert np.abs(ct.negative_elbo(tm, x) - ck.negative_elbo(km, x)).max() < 1e-3


def test_keras_vae_adds_its_kl_with_add_loss_and_trains():
    companion.seed_everything(0, frameworks=["torch", "keras"])
    m = ck.MultVAE(30, hidden=16, latent=4)
    x = _x(100)
    m(x[:5].toarray(), training=True)
    m.beta.assign(0.5)
    m(x[:5].toarray(), training=True)
    assert len(m.losses) == 1 and float(keras.ops.convert_to_numpy(m.losses[0])) > 0
    h = ck.fit_vae(m, x, epochs=6, batch_size=25, total_anneal_steps=10, anneal_cap=0.3)
    assert len(h.betas) == 24 and h.train_loss[-1] < h.train_loss[0]
    assert float(keras.ops.convert_to_numpy(m.beta)) == pytest.approx(0.3)
