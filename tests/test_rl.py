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
