"""A contextual bandit built from MovieLens-100K, as TF-Agents' ``MovieLensPyEnvironment`` builds it.

The rating matrix (users × movies, 0 where a user has not rated) is factorised by a truncated SVD
of rank ``rank`` (SciPy's ``svds``): ``R ≈ U_k S_k V_kᵀ``. A user's context is ``x_u = U_k[u] · S_k`` (``rank``
numbers), an arm's features are ``V_k[a]``, and the expected reward of recommending arm ``a`` to
user ``u`` is the reconstructed rating ``μ(u, a) = x_u · V_k[a]``; the observed reward adds
Gaussian noise with standard deviation ``noise_std``. The best arm of every user is therefore
known, and so is the exact (pseudo-)regret of any choice: ``max_a μ(u, a) − μ(u, chosen)``.

The arms are the ``n_arms`` most-rated movies. Reference: TF-Agents,
``tf_agents/bandits/environments/movielens_py_environment.py`` (TF-Agents itself does not install
on Python 3.13, so the environment is rebuilt here on the gymnasium API).
"""
from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from .._checks import check_int

__all__ = ["MovieLensBandit", "movielens_factors"]


def movielens_factors(ratings, *, rank: int = 10, n_arms: int = 20):
    """``(contexts, arm_features, arm_items)`` from a ratings table (``user_id, item_id, rating``).

    ``contexts`` ``(n_users, rank)`` are the users' SVD factors scaled by the singular values,
    ``arm_features`` ``(n_arms, rank)`` the right singular vectors of the ``n_arms`` most-rated
    movies (``arm_items``, their ids), so ``contexts @ arm_features.T`` is the rank-``rank``
    reconstruction of those movies' columns of the rating matrix.
    """
    rank, n_arms = check_int("rank", rank), check_int("n_arms", n_arms)
    missing = {"user_id", "item_id", "rating"} - set(ratings.columns)
    if missing:
        raise ValueError(f"ratings lack the columns {sorted(missing)}")
    if len(ratings) == 0:
        raise ValueError("ratings is empty")
    users = np.sort(ratings["user_id"].unique())
    items = np.sort(ratings["item_id"].unique())
    if rank > min(len(users), len(items)):
        raise ValueError(f"rank {rank} exceeds the matrix's smaller side {min(len(users), len(items))}")
    if n_arms > len(items):
        raise ValueError(f"n_arms {n_arms} exceeds the {len(items)} items")
    from scipy.sparse import csr_matrix
    from scipy.sparse.linalg import svds

    r = csr_matrix((ratings["rating"].to_numpy(dtype=float), (np.searchsorted(users, ratings["user_id"]),
                    np.searchsorted(items, ratings["item_id"]))), shape=(len(users), len(items)))
    u, s, vt = svds(r, k=rank, random_state=0)   # the rank leading singular triplets (ARPACK)
    order = np.argsort(-s)
    u, s, vt = u[:, order], s[order], vt[order]
    counts = np.asarray((r > 0).sum(0)).ravel()
    arms = np.argsort(-counts, kind="stable")[:n_arms]
    # the sign of each singular vector is arbitrary: fix it so the factors are reproducible
    sign = np.sign(vt[:, arms].sum(1))
    sign[sign == 0] = 1
    contexts = u * s * sign
    arm_features = (vt[:, arms] * sign[:, None]).T
    return contexts, arm_features, items[arms]


class MovieLensBandit(gym.Env):
    """One recommendation per episode: observe a user's context, pick one of ``n_arms`` movies.

    * **observation**: the user's context ``x_u`` (``Box``, ``rank`` floats);
    * **action**: the arm (``Discrete(n_arms)``);
    * **reward**: ``μ(u, a)`` plus ``N(0, noise_std²)`` noise;
    * **episode**: a single step (``terminated=True``), as a bandit round; ``reset`` draws the
      next user uniformly.

    ``info`` after a step holds ``expected_reward``, ``best_reward`` and ``regret`` (exact).
    The whole problem is available as arrays for vectorised simulation: :attr:`contexts`,
    :attr:`arm_features`, :meth:`expected_rewards`.
    """

    metadata = {"render_modes": []}

    def __init__(self, *, rank: int = 10, n_arms: int = 20, noise_std: float = 1.0, ratings=None):
        if ratings is None:
            from ..data import load_movielens_100k

            ratings = load_movielens_100k()
        if not np.isfinite(noise_std) or noise_std < 0:
            raise ValueError(f"noise_std must be a finite number >= 0, got {noise_std}")
        self.noise_std = float(noise_std)
        self.contexts, self.arm_features, self.arm_items = movielens_factors(ratings, rank=rank, n_arms=n_arms)
        self.n_users, self.rank = self.contexts.shape
        self.n_arms = len(self.arm_items)
        self._mu = self.contexts @ self.arm_features.T
        bound = np.float32(np.abs(self.contexts).max() * 1.01)
        self.observation_space = spaces.Box(-bound, bound, shape=(self.rank,), dtype=np.float32)
        self.action_space = spaces.Discrete(self.n_arms)
        self.user = 0

    def expected_rewards(self, users=None) -> np.ndarray:
        """``μ(u, a)`` for the given user indices (all users when ``None``), ``(n, n_arms)``."""
        return self._mu if users is None else self._mu[np.asarray(users)]

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        user = None if options is None else options.get("user")
        self.user = int(self.np_random.integers(self.n_users)) if user is None else int(user)
        if not 0 <= self.user < self.n_users:
            raise ValueError(f"user must lie in 0..{self.n_users - 1}, got {self.user}")
        return self.contexts[self.user].astype(np.float32), {}

    def step(self, action):
        if not self.action_space.contains(action):
            raise ValueError(f"action must be an arm in 0..{self.n_arms - 1}, got {action!r}")
        mu = self._mu[self.user]
        noise = self.noise_std * self.np_random.standard_normal() if self.noise_std else 0.0
        info = {"expected_reward": float(mu[action]), "best_reward": float(mu.max()),
                "regret": float(mu.max() - mu[action])}
        return self.contexts[self.user].astype(np.float32), float(mu[action] + noise), True, False, info
