"""A session of the synthetic shop as a gymnasium environment (framework-neutral)."""
from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from .._checks import check_int

__all__ = ["ShopSessionEnv"]


class ShopSessionEnv(gym.Env):
    """Recommend one item per step while a shopper browses (a logged-behaviour environment).

    * **observation**: ``[user, previous item]`` (``MultiDiscrete``; previous item 0 at the start
      of a session);
    * **action**: the item to recommend (``Discrete(n_items + 1)``; 0 recommends nothing);
    * **transition**: the shopper's next view is drawn from the shop's true next-item
      distribution (:meth:`companion.data.SyntheticShop.next_item_probs`); the recommendation
      does not change it;
    * **reward**: 1 when the next view is the recommended item, else 0;
    * **episode**: one session: it continues after each view with the shop's ``continue_prob``
      (``terminated``), and is cut at ``max_steps`` (``truncated``).

    ``info["p_hit"]`` is the probability that the action is hit (its expected reward), and
    :meth:`best_action` the action that maximises it: since recommendations do not change
    behaviour, recommending the most probable next item at every step is optimal, which makes
    the environment a check for any agent.
    """

    metadata = {"render_modes": []}

    def __init__(self, shop, *, max_steps: int = 50):
        self.shop = shop
        self.max_steps = check_int("max_steps", max_steps)
        self.n_users, self.n_items = len(shop.users), shop.n_items
        self.observation_space = spaces.MultiDiscrete([self.n_users + 1, self.n_items + 1])
        self.action_space = spaces.Discrete(self.n_items + 1)
        self._continue = float(shop.params["continue_prob"])
        self._user = self._prev = self._steps = 0

    def _obs(self) -> np.ndarray:
        return np.array([self._user, self._prev], dtype=np.int64)

    def next_item_probs(self) -> np.ndarray:
        """The true distribution of the next view given the current state, ``(n_items + 1,)``."""
        p = self.shop.next_item_probs(np.array([self._user]), np.array([self._prev]))[0]
        return p / p.sum()

    def best_action(self) -> int:
        """The action with the highest probability of being hit now (the optimal policy)."""
        return int(np.argmax(self.next_item_probs()))

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        user = None if options is None else options.get("user")
        self._user = int(self.np_random.integers(1, self.n_users + 1)) if user is None else int(user)
        if not 1 <= self._user <= self.n_users:
            raise ValueError(f"user must lie in 1..{self.n_users}, got {self._user}")
        self._prev, self._steps = 0, 0
        return self._obs(), {}

    def step(self, action):
        if not self.action_space.contains(action):
            raise ValueError(f"action must be an item id in 0..{self.n_items}, got {action!r}")
        probs = self.next_item_probs()
        nxt = int(self.np_random.choice(len(probs), p=probs))
        reward = float(action != 0 and nxt == action)
        info = {"p_hit": float(probs[action]) if action != 0 else 0.0, "next_item": nxt}
        self._prev, self._steps = nxt, self._steps + 1
        terminated = bool(self.np_random.random() >= self._continue)
        truncated = not terminated and self._steps >= self.max_steps
        return self._obs(), reward, terminated, truncated, info


def default_shop_session(*, n_users: int = 50, n_items: int = 40, seed: int = 0, max_steps: int = 50):
    """A :class:`ShopSessionEnv` on a small synthetic shop (the registered
    ``companion/ShopSession-v0``)."""
    from ..data import generate_shop_log

    return ShopSessionEnv(generate_shop_log(n_users=n_users, n_items=n_items, days=10, seed=seed),
                          max_steps=max_steps)
