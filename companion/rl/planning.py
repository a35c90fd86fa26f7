"""Exact planning in a small Markov decision process (马尔可夫决策过程, MDP).

The model: ``P[s, a, s']`` the transition probabilities, ``R[s, a]`` the expected reward of
action ``a`` in state ``s``, and ``cont[s']`` the probability that the episode goes on after
arriving in ``s'`` (1 − the probability that the user leaves). The value of a policy satisfies

    V(s) = Σ_a π(a|s) [ R[s, a] + γ Σ_s' P[s, a, s'] · cont[s'] · V(s') ],

a linear system (:func:`policy_evaluation` solves it directly), and the optimal value its
Bellman optimality version, which :func:`value_iteration` solves by repeated backups. With
``γ = 1`` (expected total reward of a session) both are well defined when every state has a
positive chance of ending, since the backup is then a contraction with factor ``max cont < 1``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Plan", "policy_evaluation", "value_iteration"]


def _check(P, R, cont, gamma):
    P, R, cont = (np.asarray(a, dtype=float) for a in (P, R, cont))
    S, A = R.shape
    if P.shape != (S, A, S) or cont.shape != (S,):
        raise ValueError(f"need P (S, A, S), R (S, A), cont (S,); got {P.shape}, {R.shape}, {cont.shape}")
    if not np.allclose(P.sum(-1), 1.0, atol=1e-9) or (P < 0).any():
        raise ValueError("each P[s, a, :] must be a probability distribution")
    if not 0 <= gamma <= 1:
        raise ValueError(f"gamma must be in [0, 1], got {gamma}")
    if gamma * cont.max() >= 1:
        raise ValueError("with gamma = 1 every state needs a positive chance of ending (cont < 1)")
    return P, R, cont


@dataclass
class Plan:
    """The optimal values, action values and a greedy optimal policy."""

    V: np.ndarray        # (S,)
    Q: np.ndarray        # (S, A)
    policy: np.ndarray   # (S,) an optimal action per state
    iterations: int


def value_iteration(P, R, cont, *, gamma: float = 1.0, tol: float = 1e-10, max_iter: int = 100_000) -> Plan:
    """Bellman optimality backups ``V ← max_a R + γ P (cont · V)`` until the largest change is
    below ``tol``."""
    P, R, cont = _check(P, R, cont, gamma)
    V = np.zeros(R.shape[0])
    for it in range(1, max_iter + 1):
        Q = R + gamma * P @ (cont * V)
        new = Q.max(axis=1)
        done = np.max(np.abs(new - V)) < tol
        V = new
        if done:
            return Plan(V=V, Q=Q, policy=Q.argmax(axis=1), iterations=it)
    raise RuntimeError(f"value iteration did not converge in {max_iter} iterations")


def policy_evaluation(P, R, cont, policy, *, gamma: float = 1.0) -> np.ndarray:
    """The exact value of ``policy`` (``(S,)`` actions, or ``(S, A)`` probabilities) by solving
    ``(I − γ P_π diag(cont)) V = R_π``."""
    P, R, cont = _check(P, R, cont, gamma)
    S, A = R.shape
    pi = np.asarray(policy)
    if pi.shape == (S,):
        if not np.issubdtype(pi.dtype, np.integer) or pi.min() < 0 or pi.max() >= A:
            raise ValueError(f"a deterministic policy gives one action in 0..{A - 1} per state")
        pi = np.eye(A)[pi]
    if pi.shape != (S, A) or not np.allclose(pi.sum(1), 1.0):
        raise ValueError(f"policy must be (S,) actions or (S, A) probabilities, got shape {pi.shape}")
    P_pi = np.einsum("sa,sat->st", pi, P)
    R_pi = (pi * R).sum(1)
    return np.linalg.solve(np.eye(S) - gamma * P_pi * cont[None, :], R_pi)
