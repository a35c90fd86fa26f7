"""Bandit algorithms, vectorised over independent runs (seeds), and the loop that scores them.

Every policy keeps one state per run and acts for all runs at once, so ``n_seeds`` runs of a
``horizon``-round bandit cost ``horizon`` NumPy steps. The interface::

    policy.reset(n_seeds, n_arms, dim, rng)   # rng: a numpy Generator for the policy's own coins
    arms = policy.select(t, X)                # X: contexts (n_seeds, dim); arms: (n_seeds,)
    policy.update(arms, X, rewards)

:func:`simulate` plays a policy against known expected rewards ``mu`` (users × arms) and returns
the exact pseudo-regret ``max_a mu[u, a] − mu[u, chosen]`` of every round.

* :class:`RandomPolicy`, :class:`EpsilonGreedy` (``epsilon=0`` is greedy), :class:`UCB1` (Auer et
  al. 2002), :class:`GaussianThompson` (Thompson sampling with a Gaussian prior and likelihood),
  which ignore the context, and
* :class:`LinUCB` (disjoint LinUCB, Li et al. 2010, Algorithm 1), which models each arm's reward
  as linear in the context.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._checks import check_int

__all__ = ["BanditRun", "EpsilonGreedy", "GaussianThompson", "LinUCB", "RandomPolicy", "UCB1",
           "simulate", "ucb1_bonus"]


def _argmax_random_ties(values: np.ndarray, rng) -> np.ndarray:
    """Row-wise argmax, ties broken uniformly at random (untried arms tie at +inf)."""
    noise = rng.random(values.shape)
    best = values == values.max(axis=1, keepdims=True)
    return np.argmax(np.where(best, noise, -1.0), axis=1)


class RandomPolicy:
    """Every arm with probability 1/n_arms."""

    def reset(self, n_seeds, n_arms, dim, rng):
        self.n_seeds, self.n_arms, self.rng = n_seeds, n_arms, rng

    def select(self, t, X):
        return self.rng.integers(self.n_arms, size=self.n_seeds)

    def update(self, arms, X, rewards):
        pass


class _MeanPolicy:
    """Keeps each arm's pull count and sample mean per run."""

    def reset(self, n_seeds, n_arms, dim, rng):
        self.n_seeds, self.n_arms, self.rng = n_seeds, n_arms, rng
        self.counts = np.zeros((n_seeds, n_arms))
        self.sums = np.zeros((n_seeds, n_arms))

    def means(self):
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.counts > 0, self.sums / np.maximum(self.counts, 1), np.inf)

    def update(self, arms, X, rewards):
        rows = np.arange(self.n_seeds)
        self.counts[rows, arms] += 1
        self.sums[rows, arms] += rewards


class EpsilonGreedy(_MeanPolicy):
    """With probability ``epsilon`` a random arm, else the best sample mean (untried arms first).
    ``epsilon=0`` is the greedy policy."""

    def __init__(self, epsilon: float = 0.1):
        if not 0.0 <= epsilon <= 1.0:
            raise ValueError(f"epsilon must be in [0, 1], got {epsilon}")
        self.epsilon = float(epsilon)

    def select(self, t, X):
        greedy = _argmax_random_ties(self.means(), self.rng)
        explore = self.rng.random(self.n_seeds) < self.epsilon
        return np.where(explore, self.rng.integers(self.n_arms, size=self.n_seeds), greedy)


def ucb1_bonus(t, counts, scale: float = 1.0):
    """UCB1's exploration bonus ``scale · sqrt(2 ln t / n)`` for round ``t`` (1-based) and pull
    counts ``n`` (Auer, Cesa-Bianchi & Fischer 2002; ``scale`` is the reward range, 1 for [0, 1])."""
    t = np.asarray(t, dtype=float)
    counts = np.asarray(counts, dtype=float)
    if np.any(t < 1):
        raise ValueError("t counts rounds from 1")
    with np.errstate(divide="ignore"):
        return scale * np.sqrt(2.0 * np.log(t) / counts)


class UCB1(_MeanPolicy):
    """The arm with the largest ``mean + ucb1_bonus(t, n)`` (untried arms first)."""

    def __init__(self, scale: float = 1.0):
        if not scale > 0:
            raise ValueError(f"scale must be positive, got {scale}")
        self.scale = float(scale)

    def select(self, t, X):
        with np.errstate(invalid="ignore"):
            ucb = self.means() + ucb1_bonus(t + 1, self.counts, self.scale)
        return _argmax_random_ties(np.where(self.counts == 0, np.inf, ucb), self.rng)


class GaussianThompson(_MeanPolicy):
    """Thompson sampling: each arm's mean has prior ``N(prior_mean, prior_std²)`` and rewards
    ``N(mean, noise_std²)``; draw each arm's mean from its posterior and pick the largest."""

    def __init__(self, prior_mean: float = 0.0, prior_std: float = 1.0, noise_std: float = 1.0):
        if not (prior_std > 0 and noise_std > 0):
            raise ValueError("prior_std and noise_std must be positive")
        self.prior_mean, self.prior_std, self.noise_std = float(prior_mean), float(prior_std), float(noise_std)

    def select(self, t, X):
        precision = 1 / self.prior_std**2 + self.counts / self.noise_std**2
        mean = (self.prior_mean / self.prior_std**2 + self.sums / self.noise_std**2) / precision
        return np.argmax(mean + self.rng.standard_normal(mean.shape) / np.sqrt(precision), axis=1)


class LinUCB:
    """Disjoint LinUCB (Li et al. 2010): for each arm a ridge regression ``θ_a = A_a⁻¹ b_a`` with
    ``A_a = reg·I + Σ x xᵀ`` and ``b_a = Σ r x``; choose ``argmax_a θ_aᵀx + alpha·sqrt(xᵀ A_a⁻¹ x)``.
    ``A_a⁻¹`` is kept up to date with the Sherman–Morrison formula."""

    def __init__(self, alpha: float = 1.0, reg: float = 1.0):
        if alpha < 0 or not reg > 0:
            raise ValueError(f"alpha must be >= 0 and reg > 0, got {alpha}, {reg}")
        self.alpha, self.reg = float(alpha), float(reg)

    def reset(self, n_seeds, n_arms, dim, rng):
        self.n_seeds, self.rng = n_seeds, rng
        self.A_inv = np.broadcast_to(np.eye(dim) / self.reg, (n_seeds, n_arms, dim, dim)).copy()
        self.b = np.zeros((n_seeds, n_arms, dim))

    def theta(self) -> np.ndarray:
        """The ridge estimates ``θ_a``, ``(n_seeds, n_arms, dim)``."""
        return np.einsum("sadk,sak->sad", self.A_inv, self.b)

    def select(self, t, X):
        mean = np.einsum("sad,sd->sa", self.theta(), X)
        width = np.sqrt(np.maximum(np.einsum("sd,sadk,sk->sa", X, self.A_inv, X), 0.0))
        return _argmax_random_ties(mean + self.alpha * width, self.rng)

    def update(self, arms, X, rewards):
        rows = np.arange(self.n_seeds)
        a_inv = self.A_inv[rows, arms]                       # (S, d, d)
        ax = np.einsum("sdk,sk->sd", a_inv, X)
        denom = 1.0 + np.einsum("sd,sd->s", X, ax)
        self.A_inv[rows, arms] = a_inv - np.einsum("sd,sk->sdk", ax, ax) / denom[:, None, None]
        self.b[rows, arms] += rewards[:, None] * X


@dataclass
class BanditRun:
    """The record of :func:`simulate`: per run (row) and round (column)."""

    regret: np.ndarray   # exact pseudo-regret of each round
    reward: np.ndarray   # the observed (noisy) reward
    arms: np.ndarray     # the arm chosen

    @property
    def cumulative_regret(self) -> np.ndarray:
        return np.cumsum(self.regret, axis=1)


def simulate(policy, contexts, mu, *, horizon: int, n_seeds: int = 5, noise_std: float = 1.0,
             seed: int = 0, progress: bool = False) -> BanditRun:
    """Play ``policy`` for ``horizon`` rounds in ``n_seeds`` independent runs.

    Each round of run ``s`` draws a user uniformly (the stream of users and reward noise of run
    ``s`` depends only on ``(seed, s)``, so every policy sees the same users), shows the policy
    ``contexts[u]``, and pays ``mu[u, arm] + noise_std · N(0, 1)``.
    """
    horizon, n_seeds = check_int("horizon", horizon), check_int("n_seeds", n_seeds)
    contexts, mu = np.asarray(contexts, dtype=float), np.asarray(mu, dtype=float)
    if contexts.ndim != 2 or mu.ndim != 2 or len(contexts) != len(mu):
        raise ValueError(f"contexts (users × dim) and mu (users × arms) must have the same rows, "
                         f"got {contexts.shape} and {mu.shape}")
    streams = [np.random.default_rng([seed, s]) for s in range(n_seeds)]
    users = np.stack([g.integers(len(mu), size=horizon) for g in streams])
    noise = noise_std * np.stack([g.standard_normal(horizon) for g in streams])
    policy.reset(n_seeds, mu.shape[1], contexts.shape[1], np.random.default_rng([seed, 10_000]))
    best = mu.max(axis=1)
    regret, reward, arms_taken = (np.zeros((n_seeds, horizon)) for _ in range(3))
    rounds = range(horizon)
    if progress:
        from tqdm.auto import tqdm

        rounds = tqdm(rounds, desc=type(policy).__name__, leave=False)
    for t in rounds:
        u = users[:, t]
        X = contexts[u]
        arms = policy.select(t, X)
        r = mu[u, arms] + noise[:, t]
        policy.update(arms, X, r)
        regret[:, t], reward[:, t], arms_taken[:, t] = best[u] - mu[u, arms], r, arms
    return BanditRun(regret=regret, reward=reward, arms=arms_taken.astype(int))
