"""Reinforcement-learning environments (gymnasium), framework-neutral: they import neither PyTorch
nor TensorFlow. Agents that learn in them belong in ``companion/torch/agents.py`` and
``companion/keras/agents.py`` (the mirror rule); the RL chapter adds them.

* :class:`ShopSessionEnv`: recommend the next item during a session of the synthetic shop; the
  shopper's next view is drawn from the shop's true next-item distribution, so the best possible
  policy and its expected reward are known exactly.
"""
from .shop import ShopSessionEnv

__all__ = ["ShopSessionEnv"]
