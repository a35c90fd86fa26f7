"""Deep RL agents in PyTorch; the loop that trains them is :func:`companion.rl.train_dqn`.

:class:`DQN` holds an online and a target Q-network (an MLP with ReLU), an Adam optimiser and the
Huber loss on the taken action's Q-value, exactly as the Keras twin
(:class:`companion.keras.agents.DQN`) does, so weights copied with
:func:`companion.keras.load_torch` give the same Q-values in both.
"""
from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn

from .._checks import check_int
from ..rl.dqn import ADAM_EPS

__all__ = ["DQN"]


class DQN(nn.Module):
    """Q-network ``n_inputs → hidden… → n_actions`` with a target copy, for :func:`companion.rl.train_dqn`."""

    def __init__(self, n_inputs: int, n_actions: int, hidden=(64, 64), lr: float = 1e-3, seed: int = 0):
        super().__init__()
        n_inputs, n_actions = check_int("n_inputs", n_inputs), check_int("n_actions", n_actions)
        torch.manual_seed(seed)
        layers, width = [], n_inputs
        for h in hidden:
            layers += [nn.Linear(width, check_int("hidden", h)), nn.ReLU()]
            width = h
        self.q = nn.Sequential(*layers, nn.Linear(width, n_actions))
        self.target = copy.deepcopy(self.q).requires_grad_(False)
        self.lr = float(lr)
        self.optimizer = torch.optim.Adam(self.q.parameters(), lr=lr, eps=ADAM_EPS)

    def forward(self, x):
        return self.q(x)

    @torch.no_grad()
    def q_values(self, x) -> np.ndarray:
        return self.q(torch.as_tensor(np.asarray(x, dtype=np.float32))).numpy()

    @torch.no_grad()
    def target_q_values(self, x) -> np.ndarray:
        return self.target(torch.as_tensor(np.asarray(x, dtype=np.float32))).numpy()

    def train_on_batch(self, x, actions, targets) -> float:
        q = self.q(torch.as_tensor(x)).gather(1, torch.as_tensor(actions).long()[:, None])[:, 0]
        loss = nn.functional.smooth_l1_loss(q, torch.as_tensor(targets))  # Huber, delta 1
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return float(loss.detach())

    def update_target(self) -> None:
        self.target.load_state_dict(self.q.state_dict())
