"""companion.rl: the gymnasium environments (framework-neutral)."""
import subprocess
import sys

import numpy as np
import pytest

gym = pytest.importorskip("gymnasium")
from gymnasium.utils.env_checker import check_env  # noqa: E402

from companion.data import generate_shop_log  # noqa: E402
from companion.rl import ShopSessionEnv  # noqa: E402


@pytest.fixture(scope="module")
def shop():
    return generate_shop_log(n_users=30, n_items=40, days=10, seed=0)


def test_passes_gymnasiums_checker(shop):
    check_env(ShopSessionEnv(shop), skip_render_check=True)


def _run(env, policy, episodes=200, seed=0):
    rewards, expected = [], []
    for e in range(episodes):
        env.reset(seed=seed + e)
        done = False
        while not done:
            _, r, term, trunc, info = env.step(policy(env))
            rewards.append(r)
            expected.append(info["p_hit"])
            done = term or trunc
    return np.mean(rewards), np.mean(expected)


def test_dynamics_are_the_shops_and_the_oracle_is_best(shop):
    env = ShopSessionEnv(shop, max_steps=20)
    obs, _ = env.reset(seed=1, options={"user": 3})
    assert obs.tolist() == [3, 0]
    assert np.allclose(env.next_item_probs(), shop.next_item_probs(np.array([3]), np.array([0]))[0])
    best, best_exp = _run(env, lambda e: e.best_action())
    rng = np.random.default_rng(0)
    rand, rand_exp = _run(env, lambda e: int(rng.integers(1, shop.n_items + 1)))
    assert best_exp > 3 * rand_exp and best > rand
    assert abs(best - best_exp) < 0.05  # the realised hit rate is the expected one, up to noise


def test_reproducible_and_validated(shop):
    env = ShopSessionEnv(shop)
    a = [env.reset(seed=5)[0].tolist()] + [env.step(1)[0].tolist() for _ in range(3)]
    b = [env.reset(seed=5)[0].tolist()] + [env.step(1)[0].tolist() for _ in range(3)]
    assert a == b
    with pytest.raises(ValueError, match="action"):
        env.step(shop.n_items + 1)
    with pytest.raises(ValueError, match="max_steps"):
        ShopSessionEnv(shop, max_steps=0)


def test_rl_imports_no_framework():
    code = "import sys, companion.rl; print(sorted(m for m in ('torch', 'tensorflow', 'keras') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- chapter 10: the registered environments, bandits, planning, OPE, DQN --------------------
import gymnasium  # noqa: E402

import companion.rl as rl  # noqa: E402


@pytest.mark.parametrize("env_id", rl.ENV_IDS)
def test_every_registered_environment_passes_the_checker_by_id(env_id):
    env = gymnasium.make(env_id)
    check_env(env.unwrapped, skip_render_check=True)
    obs, _ = env.reset(seed=3)
    obs2, _ = env.reset(seed=3)
    assert np.array_equal(obs, obs2)  # seeded resets are reproducible
    obs, r, term, trunc, _ = env.step(env.action_space.sample())
    assert env.observation_space.contains(obs) and np.isfinite(r)


def test_module_prefix_makes_without_import():
    out = subprocess.run([sys.executable, "-c", "import gymnasium as g; "
                          "print(g.make('companion.rl:companion/ClickbaitSession-v0').action_space)"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "Discrete(3)" in out.stdout, out.stderr


@pytest.fixture(scope="module")
def ml_bandit():
    return gymnasium.make("companion/MovieLensBandit-v0").unwrapped


def test_movielens_bandit_is_the_rank_k_reconstruction(ml_bandit):
    from companion.data import load_movielens_100k

    r = load_movielens_100k()
    items = np.sort(r.item_id.unique())
    counts = r.groupby("item_id").size().reindex(items).to_numpy()
    assert set(ml_bandit.arm_items) == set(items[np.argsort(-counts, kind="stable")[:ml_bandit.n_arms]])
    # the reconstruction is the best rank-k fit: it matches the full SVD's truncation
    R = np.zeros((r.user_id.nunique(), len(items)))
    R[r.user_id.to_numpy() - 1, np.searchsorted(items, r.item_id)] = r.rating
    u, s, vt = np.linalg.svd(R, full_matrices=False)
    k = ml_bandit.rank
    cols = np.searchsorted(items, ml_bandit.arm_items)
    assert np.allclose((u[:, :k] * s[:k]) @ vt[:k, cols], ml_bandit.expected_rewards(), atol=1e-8)
    obs, _ = ml_bandit.reset(seed=0, options={"user": 7})
    _, _, term, _, info = ml_bandit.step(0)
    assert term and info["regret"] == pytest.approx(ml_bandit.expected_rewards()[7].max() - ml_bandit.expected_rewards()[7, 0])


def test_bad_input_is_named():
    import pandas as pd

    with pytest.raises(ValueError, match="columns"):
        rl.movielens_factors(pd.DataFrame({"user_id": [1]}))
    with pytest.raises(ValueError, match="action"):
        rl.ClickbaitSessionEnv().step(5)
    with pytest.raises(ValueError, match="epsilon"):
        rl.EpsilonGreedy(1.5)
    with pytest.raises(ValueError, match="probabilit"):
        rl.collect_log(np.ones((2, 3)), np.zeros((2, 3)), 10)


def test_linucb_beats_context_free_policies_and_sherman_morrison_is_exact(ml_bandit):
    mu, X = ml_bandit.expected_rewards(), ml_bandit.contexts
    runs = {name: rl.simulate(p, X, mu, horizon=1500, n_seeds=3, seed=0).cumulative_regret[:, -1]
            for name, p in {"random": rl.RandomPolicy(), "eps": rl.EpsilonGreedy(0.05),
                            "lin": rl.LinUCB(0.5)}.items()}
    assert (runs["lin"] < runs["eps"]).all() and (runs["eps"] < runs["random"]).all()
    lin = rl.LinUCB(0.5)
    run = rl.simulate(lin, X, mu, horizon=300, n_seeds=1, seed=0)
    streams = np.random.default_rng([0, 0])
    users = streams.integers(len(mu), size=300)
    a = run.arms[0]
    for arm in range(mu.shape[1]):  # A⁻¹ kept by Sherman–Morrison equals the direct inverse
        Xa = X[users[a == arm]]
        assert np.allclose(lin.A_inv[0, arm], np.linalg.inv(np.eye(X.shape[1]) + Xa.T @ Xa), atol=1e-8)


def test_ucb1_bonus_and_random_policy_regret():
    assert rl.ucb1_bonus(np.e**2, 4) == pytest.approx(1.0)
    mu = np.array([[1.0, 0.0], [0.0, 1.0]])
    run = rl.simulate(rl.RandomPolicy(), np.eye(2), mu, horizon=4000, n_seeds=2, noise_std=0.0)
    assert abs(run.regret.mean() - 0.5) < 0.03


def test_value_iteration_is_optimal_and_matches_policy_evaluation():
    env = rl.ClickbaitSessionEnv()
    P, R, cont = env.model()
    assert np.allclose(P.sum(-1), 1)
    plan = rl.value_iteration(P, R, cont)
    assert np.abs(rl.policy_evaluation(P, R, cont, plan.policy) - plan.V).max() < 1e-8
    rng = np.random.default_rng(0)
    for _ in range(20):  # no deterministic policy beats it anywhere
        other = rng.integers(3, size=len(R))
        assert (rl.policy_evaluation(P, R, cont, other) <= plan.V + 1e-7).all()  # VI stops within ~1e-9
    s0 = env.state_index(np.array(env.start))
    assert rl.policy_evaluation(P, R, cont, R.argmax(1))[s0] < 0.8 * plan.V[s0]  # greedy is far from it


def test_ope_estimators_are_unbiased_and_exact_on_a_known_log():
    log = rl.Log(users=np.array([0, 0, 0]), actions=np.array([0, 1, 2]), propensities=np.array([0.5, 0.25, 0.2]),
                 rewards=np.array([1.0, 0.0, 1.0]))
    pi = np.array([[0.5, 0.5, 0.0]])
    assert rl.ips(log, pi).value == pytest.approx((0.5 / 0.5 + 0 + 0) / 3)
    assert rl.snips(log, pi).value == pytest.approx(1.0 / (1 + 2 + 0))
    q = np.array([[1.0, 0.0, 1.0]])  # a perfect reward model: DR = its direct estimate
    assert rl.doubly_robust(log, pi, q).value == pytest.approx(0.5)
    mu = np.random.default_rng(1).normal(size=(30, 4))
    pi0 = np.full((30, 4), 0.25)
    target = np.eye(4)[mu.argmax(1)]
    est = [rl.ips(rl.collect_log(pi0, mu, 400, seed=s), target).value for s in range(200)]
    assert abs(np.mean(est) - rl.true_value(target, mu)) < 3 * np.std(est) / np.sqrt(200)


def test_torch_and_keras_dqn_are_the_same_computation():
    pytest.importorskip("torch")
    pytest.importorskip("keras")
    from companion.keras import load_torch
    from companion.keras.agents import DQN as KerasDQN
    from companion.torch.agents import DQN as TorchDQN

    env = rl.ClickbaitSessionEnv()
    feats = env.features(env.states())
    t = TorchDQN(feats.shape[1], 3, hidden=(16,), seed=0)
    k = load_torch(KerasDQN(feats.shape[1], 3, hidden=(16,), seed=0), t)
    assert np.abs(t.q_values(feats) - k.q_values(feats)).max() < 1e-6
    kw = dict(steps=600, features=env.features, gamma=1.0, learning_starts=200, target_update=100, seed=0)
    ht = rl.train_dqn(t, rl.ClickbaitSessionEnv(), **kw)
    hk = rl.train_dqn(k, rl.ClickbaitSessionEnv(), **kw)
    assert ht.episode_returns == hk.episode_returns and len(ht.losses) == 100
    assert np.abs(t.q_values(feats) - k.q_values(feats)).max() < 1e-4
