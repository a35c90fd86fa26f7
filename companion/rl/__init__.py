"""Reinforcement learning (强化学习) for recommendation, framework-neutral: environments on the
gymnasium API, bandit algorithms, exact planning, off-policy evaluation and the DQN loop. Nothing
here imports PyTorch or TensorFlow; the deep agents are :class:`companion.torch.agents.DQN` and
:class:`companion.keras.agents.DQN` (the mirror rule).

Environments (registered with gymnasium under the ``companion/`` namespace when this package is
imported, so ``import companion.rl`` then ``gymnasium.make("companion/MovieLensBandit-v0")``; or in
one line ``gymnasium.make("companion.rl:companion/MovieLensBandit-v0")``):

* ``companion/MovieLensBandit-v0`` — :class:`MovieLensBandit`, a contextual bandit from a rank-k
  SVD of MovieLens-100K (as TF-Agents builds it): the best arm and the exact regret are known;
* ``companion/ClickbaitSession-v0`` — :class:`ClickbaitSessionEnv`, a session whose user tires and
  loses trust, small enough for exact value iteration (:func:`value_iteration`);
* ``companion/ShopSession-v0`` — :class:`ShopSessionEnv` on a small synthetic shop, where
  recommendations do not change behaviour (the greedy policy is optimal).

Algorithms: :mod:`~companion.rl.bandits` (random, ε-greedy, UCB1, Thompson sampling, LinUCB,
vectorised over seeds, and :func:`simulate`), :mod:`~companion.rl.planning` (value iteration and
exact policy evaluation), :mod:`~companion.rl.off_policy` (IPS, SNIPS, doubly robust),
:mod:`~companion.rl.dqn` (:func:`train_dqn`).
"""
import gymnasium as _gym

from .bandits import (BanditRun, EpsilonGreedy, GaussianThompson, LinUCB, RandomPolicy, UCB1, simulate,
                      ucb1_bonus)
from .dqn import DQNHistory, greedy_policy, train_dqn
from .movielens_bandit import MovieLensBandit, movielens_factors
from .off_policy import Estimate, Log, collect_log, doubly_robust, fit_linear_rewards, ips, snips, true_value
from .planning import Plan, policy_evaluation, value_iteration
from .session import ACTIONS, ClickbaitSessionEnv
from .shop import ShopSessionEnv, default_shop_session

#: The environment ids this package registers with gymnasium.
ENV_IDS = ("companion/MovieLensBandit-v0", "companion/ClickbaitSession-v0", "companion/ShopSession-v0")

for _id, _entry, _steps in zip(ENV_IDS, ("companion.rl.movielens_bandit:MovieLensBandit",
                                         "companion.rl.session:ClickbaitSessionEnv",
                                         "companion.rl.shop:default_shop_session"), (None, 500, 50)):
    if _id not in _gym.registry:
        _gym.register(id=_id, entry_point=_entry, max_episode_steps=_steps)

__all__ = [
    "ACTIONS", "BanditRun", "ClickbaitSessionEnv", "DQNHistory", "ENV_IDS", "EpsilonGreedy", "Estimate",
    "GaussianThompson", "LinUCB", "Log", "MovieLensBandit", "Plan", "RandomPolicy", "ShopSessionEnv", "UCB1",
    "collect_log", "default_shop_session", "doubly_robust", "fit_linear_rewards", "greedy_policy", "ips",
    "movielens_factors", "policy_evaluation", "simulate", "snips", "train_dqn", "true_value", "ucb1_bonus",
    "value_iteration",
]
