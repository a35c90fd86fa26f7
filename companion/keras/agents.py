"""Deep RL agents in Keras 3 (mirrors :mod:`companion.torch.agents`); trained by
:func:`companion.rl.train_dqn`.

:class:`DQN`: online and target Q-networks (``keras.Sequential`` of ``Dense`` with ReLU), Adam
(``epsilon=1e-8``, PyTorch's default) and the Huber loss (delta 1) on the taken action's Q-value:
the targets of the other actions are set to the network's own outputs, so their error is zero,
and the per-row loss is summed over actions (Keras averages it; PyTorch's ``gather`` picks one).
"""
from __future__ import annotations

import numpy as np

import companion as _companion  # noqa: F401  (quiet TensorFlow start-up)
import keras

from .._checks import check_int
from ..rl.dqn import ADAM_EPS

__all__ = ["DQN"]


def _mlp(n_inputs, n_actions, hidden):
    layers = [keras.Input((n_inputs,))]
    layers += [keras.layers.Dense(check_int("hidden", h), activation="relu") for h in hidden]
    return keras.Sequential(layers + [keras.layers.Dense(n_actions)])


class DQN(keras.Model):
    """Q-network ``n_inputs → hidden… → n_actions`` with a target copy, for :func:`companion.rl.train_dqn`."""

    def __init__(self, n_inputs: int, n_actions: int, hidden=(64, 64), lr: float = 1e-3, seed: int = 0):
        super().__init__()
        n_inputs, self.n_actions = check_int("n_inputs", n_inputs), check_int("n_actions", n_actions)
        keras.utils.set_random_seed(seed)
        self.q = _mlp(n_inputs, n_actions, hidden)
        self.target = _mlp(n_inputs, n_actions, hidden)
        self.lr = float(lr)
        n = self.n_actions

        def huber_on_taken(y_true, y_pred):  # zero error off the taken action: sum = its Huber loss
            return n * keras.losses.huber(y_true, y_pred, delta=1.0)

        self.q.compile(optimizer=keras.optimizers.Adam(learning_rate=lr, epsilon=ADAM_EPS), loss=huber_on_taken)
        self.update_target()

    def call(self, x):
        return self.q(x)

    def q_values(self, x) -> np.ndarray:
        return np.asarray(self.q.predict_on_batch(np.asarray(x, dtype=np.float32)))

    def target_q_values(self, x) -> np.ndarray:
        return np.asarray(self.target.predict_on_batch(np.asarray(x, dtype=np.float32)))

    def train_on_batch(self, x, actions, targets) -> float:
        y = self.q_values(x)
        y[np.arange(len(y)), np.asarray(actions)] = targets
        return float(self.q.train_on_batch(np.asarray(x, dtype=np.float32), y))

    def update_target(self) -> None:
        self.target.set_weights(self.q.get_weights())
