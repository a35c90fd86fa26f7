"""Off-policy evaluation (离线策略评估, OPE): the value of a new policy from a log of an old one.

A log holds, for each round ``i``, the context (here: the user ``u_i``), the action ``a_i`` the
logging policy ``π₀`` took with probability ``p_i = π₀(a_i | u_i)`` (the propensity) and the reward
``r_i``. The value of a target policy ``π`` is ``V(π) = E_u Σ_a π(a|u) μ(u, a)``; the estimators:

* **IPS** (inverse propensity scoring): ``mean_i w_i r_i`` with ``w_i = π(a_i|u_i) / p_i``; unbiased
  when ``p_i > 0`` wherever ``π`` acts, with a variance that grows with the weights;
* **SNIPS** (self-normalised IPS): ``Σ w_i r_i / Σ w_i``; slightly biased, far less variable;
* **DR** (doubly robust, Dudík, Langford & Li 2011): ``mean_i [Σ_a π(a|u_i) q̂(u_i, a) +
  w_i (r_i − q̂(u_i, a_i))]``, unbiased when either the propensities or the reward model ``q̂``
  are right.

Each estimate comes with a standard error (the delta method for SNIPS) and a normal 95% interval.
The estimators follow the definitions in Open Bandit Pipeline (Saito et al. 2021).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._checks import check_int

__all__ = ["Estimate", "Log", "collect_log", "doubly_robust", "fit_linear_rewards", "ips", "snips",
           "true_value"]


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its standard error; ``interval()`` is the normal-approximation interval."""

    value: float
    se: float

    def interval(self, z: float = 1.959963984540054) -> tuple[float, float]:
        return self.value - z * self.se, self.value + z * self.se


@dataclass(frozen=True)
class Log:
    """Logged bandit feedback: users, actions, propensities ``π₀(a|u)``, rewards."""

    users: np.ndarray
    actions: np.ndarray
    propensities: np.ndarray
    rewards: np.ndarray


def _check_policy(probs, name: str) -> np.ndarray:
    probs = np.asarray(probs, dtype=float)
    if probs.ndim != 2 or (probs < 0).any() or not np.allclose(probs.sum(1), 1.0):
        raise ValueError(f"{name} must be a (users × arms) matrix of probabilities whose rows sum to 1")
    return probs


def collect_log(logging_probs, mu, n: int, *, noise_std: float = 1.0, seed: int = 0) -> Log:
    """``n`` rounds of the logging policy ``logging_probs[u, a]`` on users drawn uniformly, with
    rewards ``mu[u, a] + noise_std · N(0, 1)``."""
    n = check_int("n", n)
    pi0 = _check_policy(logging_probs, "logging_probs")
    mu = np.asarray(mu, dtype=float)
    if mu.shape != pi0.shape:
        raise ValueError(f"mu {mu.shape} and logging_probs {pi0.shape} differ in shape")
    rng = np.random.default_rng(seed)
    users = rng.integers(len(mu), size=n)
    cdf = np.cumsum(pi0[users], axis=1)
    actions = np.minimum((cdf < rng.random(n)[:, None]).sum(1), mu.shape[1] - 1)
    rewards = mu[users, actions] + noise_std * rng.standard_normal(n)
    return Log(users=users, actions=actions, propensities=pi0[users, actions], rewards=rewards)


def true_value(target_probs, mu) -> float:
    """``V(π) = mean_u Σ_a π(a|u) μ(u, a)`` (users uniform), the number every estimator aims at."""
    return float((_check_policy(target_probs, "target_probs") * np.asarray(mu)).sum(1).mean())


def _weights(log: Log, target_probs) -> np.ndarray:
    pi = _check_policy(target_probs, "target_probs")
    if (log.propensities <= 0).any():
        raise ValueError("a logged action has propensity 0: IPS needs π₀(a|u) > 0 for every logged action")
    return pi[log.users, log.actions] / log.propensities


def ips(log: Log, target_probs) -> Estimate:
    """Inverse propensity scoring."""
    terms = _weights(log, target_probs) * log.rewards
    return Estimate(float(terms.mean()), float(terms.std(ddof=1) / np.sqrt(len(terms))))


def snips(log: Log, target_probs) -> Estimate:
    """Self-normalised IPS, with the delta-method standard error."""
    w = _weights(log, target_probs)
    value = float((w * log.rewards).sum() / w.sum())
    resid = w * (log.rewards - value) / w.mean()
    return Estimate(value, float(resid.std(ddof=1) / np.sqrt(len(w))))


def doubly_robust(log: Log, target_probs, q_hat) -> Estimate:
    """Doubly robust estimate with the reward model ``q_hat[u, a]`` (users × arms)."""
    pi = _check_policy(target_probs, "target_probs")
    q_hat = np.asarray(q_hat, dtype=float)
    if q_hat.shape != pi.shape:
        raise ValueError(f"q_hat {q_hat.shape} and target_probs {pi.shape} differ in shape")
    w = _weights(log, pi)
    u, a = log.users, log.actions
    terms = (pi[u] * q_hat[u]).sum(1) + w * (log.rewards - q_hat[u, a])
    return Estimate(float(terms.mean()), float(terms.std(ddof=1) / np.sqrt(len(terms))))


def fit_linear_rewards(log: Log, contexts, n_arms: int, *, reg: float = 1.0) -> np.ndarray:
    """A reward model for DR: a ridge regression of reward on context per arm, fitted on ``log``;
    returns ``q_hat`` (users × arms) for every user in ``contexts``."""
    contexts = np.asarray(contexts, dtype=float)
    X = contexts[log.users]
    d = contexts.shape[1]
    q = np.zeros((len(contexts), n_arms))
    for a in range(n_arms):
        m = log.actions == a
        A = reg * np.eye(d) + X[m].T @ X[m]
        q[:, a] = contexts @ np.linalg.solve(A, X[m].T @ log.rewards[m])
    return q
