"""A shopping session where long-term value and the next click disagree (framework-neutral).

The user's state is a fatigue level ``f`` (0 … ``n_fatigue − 1``) and a trust level ``t``
(0 … ``n_trust − 1``). Each step the system shows one kind of item:

* ``0`` **click-bait**: the highest click probability now, but it tires the user and erodes trust;
* ``1`` **relevant**: fewer clicks now, builds trust (and trust raises later click rates);
* ``2`` **discovery**: few clicks, lets fatigue recover.

The click probability falls with fatigue; after each step the user leaves with a probability that
rises with fatigue and falls with trust. The greedy policy (the best next click) therefore shortens
sessions, and the policy that maximises expected clicks per session is different. The state space
is small (25 states by default), so the exact optimum is computed by value iteration
(:func:`companion.rl.planning.value_iteration` on :meth:`ClickbaitSessionEnv.model`).
"""
from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from .._checks import check_int

__all__ = ["ACTIONS", "ClickbaitSessionEnv"]

ACTIONS = ("click-bait", "relevant", "discovery")

# per action: the probabilities of a fatigue change of -1, 0, +1 and of a trust change of -1, 0, +1
_FATIGUE = np.array([[0.0, 0.6, 0.4], [0.05, 0.65, 0.3], [0.3, 0.7, 0.0]])
_TRUST = np.array([[0.3, 0.7, 0.0], [0.0, 0.6, 0.4], [0.0, 0.9, 0.1]])


class ClickbaitSessionEnv(gym.Env):
    """One session; reward 1 per click.

    * **observation**: ``[fatigue, trust]`` (``MultiDiscrete([n_fatigue, n_trust])``), starting at
      ``[0, n_trust // 2]``;
    * **action**: ``Discrete(3)``, see :data:`ACTIONS`;
    * **reward**: a click, Bernoulli with probability :meth:`click_probs` ``[f, t, a]``;
    * **transition**: fatigue and trust move by −1, 0 or +1 (independently, clipped to their
      ranges) with action-dependent probabilities; then the user leaves (``terminated``) with
      probability :meth:`leave_probs` of the new state; ``truncated`` after ``max_steps``.

    :meth:`model` returns the exact ``(P, R, cont)`` of this MDP over state index
    ``s = f · n_trust + t`` (:meth:`state_index`).
    """

    metadata = {"render_modes": []}

    def __init__(self, *, n_fatigue: int = 5, n_trust: int = 5, max_steps: int = 500):
        self.n_fatigue = check_int("n_fatigue", n_fatigue, low=2)
        self.n_trust = check_int("n_trust", n_trust, low=2)
        self.max_steps = check_int("max_steps", max_steps)
        self.n_states, self.n_actions = self.n_fatigue * self.n_trust, len(ACTIONS)
        self.observation_space = spaces.MultiDiscrete([self.n_fatigue, self.n_trust])
        self.action_space = spaces.Discrete(self.n_actions)
        self.start = (0, self.n_trust // 2)
        self._f, self._t, self._steps = *self.start, 0

    # --- the model -------------------------------------------------------------------------
    def click_probs(self) -> np.ndarray:
        """``p[f, t, a]``: the click probability of each action in each state."""
        f = np.arange(self.n_fatigue)[:, None] / (self.n_fatigue - 1)
        t = np.arange(self.n_trust)[None, :] / (self.n_trust - 1)
        tired = 1.0 - 0.5 * f
        return np.stack([0.6 * tired + 0 * t, (0.15 + 0.35 * t) * tired, (0.08 + 0.12 * t) * tired], axis=-1)

    def leave_probs(self) -> np.ndarray:
        """``ℓ[f, t]``: the probability that the user leaves after arriving in state (f, t)."""
        f = np.arange(self.n_fatigue)[:, None] / (self.n_fatigue - 1)
        t = np.arange(self.n_trust)[None, :] / (self.n_trust - 1)
        return 0.04 + 0.25 * f + 0.08 * (1 - t)

    def state_index(self, obs) -> np.ndarray:
        """``f · n_trust + t`` for observations ``[f, t]`` (one or a batch)."""
        obs = np.asarray(obs)
        return obs[..., 0] * self.n_trust + obs[..., 1]

    def states(self) -> np.ndarray:
        """Every observation ``[f, t]``, in state-index order, ``(n_states, 2)``."""
        f, t = np.divmod(np.arange(self.n_states), self.n_trust)
        return np.stack([f, t], axis=1)

    def features(self, obs) -> np.ndarray:
        """One-hot fatigue next to one-hot trust, float32 ``(…, n_fatigue + n_trust)``: the
        input of the deep agents."""
        obs = np.asarray(obs)
        return np.concatenate([np.eye(self.n_fatigue, dtype=np.float32)[obs[..., 0]],
                               np.eye(self.n_trust, dtype=np.float32)[obs[..., 1]]], axis=-1)

    def model(self):
        """``(P, R, cont)``: ``P[s, a, s']``, ``R[s, a]`` the expected click, ``cont[s']`` the
        probability of staying after arriving in ``s'`` (see :mod:`companion.rl.planning`)."""
        F, T, A = self.n_fatigue, self.n_trust, self.n_actions
        P = np.zeros((F, T, A, F, T))
        for f in range(F):
            for t in range(T):
                for a in range(A):
                    for df, pf in zip((-1, 0, 1), _FATIGUE[a]):
                        for dt, pt in zip((-1, 0, 1), _TRUST[a]):
                            P[f, t, a, min(max(f + df, 0), F - 1), min(max(t + dt, 0), T - 1)] += pf * pt
        P = P.reshape(F * T, A, F * T)
        R = self.click_probs().reshape(F * T, A)
        cont = 1.0 - self.leave_probs().reshape(F * T)
        return P, R, cont

    # --- the gymnasium interface ---------------------------------------------------------------
    def _obs(self) -> np.ndarray:
        return np.array([self._f, self._t], dtype=np.int64)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        start = self.start if options is None or "state" not in options else tuple(options["state"])
        if not (0 <= start[0] < self.n_fatigue and 0 <= start[1] < self.n_trust):
            raise ValueError(f"state must be [fatigue, trust] inside {[self.n_fatigue, self.n_trust]}, got {start}")
        self._f, self._t = int(start[0]), int(start[1])
        self._steps = 0
        return self._obs(), {}

    def step(self, action):
        if not self.action_space.contains(action):
            raise ValueError(f"action must be 0, 1 or 2 ({', '.join(ACTIONS)}), got {action!r}")
        a = int(action)
        p_click = float(self.click_probs()[self._f, self._t, a])
        reward = float(self.np_random.random() < p_click)
        df = self.np_random.choice(3, p=_FATIGUE[a]) - 1
        dt = self.np_random.choice(3, p=_TRUST[a]) - 1
        self._f = min(max(self._f + df, 0), self.n_fatigue - 1)
        self._t = min(max(self._t + dt, 0), self.n_trust - 1)
        self._steps += 1
        terminated = bool(self.np_random.random() < self.leave_probs()[self._f, self._t])
        truncated = not terminated and self._steps >= self.max_steps
        return self._obs(), reward, terminated, truncated, {"p_click": p_click}
