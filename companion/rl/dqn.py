"""The DQN training loop (Mnih et al. 2015), framework-neutral: the agent brings the networks.

The loop is the same for the PyTorch and the Keras agent (:class:`companion.torch.agents.DQN`,
:class:`companion.keras.agents.DQN`); every random choice (exploration coins, random actions,
replay samples) comes from one NumPy generator seeded with ``seed``, so two agents whose networks
compute the same numbers take the same actions. An agent provides::

    agent.q_values(x)                          # online network, (n, n_actions) as NumPy
    agent.target_q_values(x)                   # target network
    agent.train_on_batch(x, actions, targets)  # one optimiser step on the Huber loss; returns it
    agent.update_target()                      # copy the online weights into the target network

Per step: ε-greedy action (ε decays linearly from ``eps_start`` to ``eps_end`` over the first
``eps_fraction`` of the steps), store ``(x, a, r, x', terminated)`` in a replay buffer, and every
``train_freq`` steps after ``learning_starts`` fit a minibatch of ``batch_size`` to the target
``r + γ (1 − terminated) max_a' Q_target(x', a')``; the target network is refreshed every
``target_update`` steps. A truncated episode (time limit) is bootstrapped, not treated as an end.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._checks import check_int

__all__ = ["ADAM_EPS", "DQNHistory", "greedy_policy", "train_dqn"]

#: Adam's epsilon for both agents. PyTorch adds it to the bias-corrected sqrt(v), Keras to the
#: uncorrected one, so the two optimisers agree only where it is negligible: at PyTorch's default
#: 1e-8 the same DQN drifts apart by about 1e-5 in Q per update; at 1e-10 by round-off only.
ADAM_EPS = 1e-10


@dataclass
class DQNHistory:
    """Episode returns and training losses of :func:`train_dqn`."""

    episode_returns: list = field(default_factory=list)
    losses: list = field(default_factory=list)
    steps: int = 0


def train_dqn(agent, env, *, steps: int = 10_000, features=None, gamma: float = 0.99,
              buffer_size: int = 10_000, batch_size: int = 64, learning_starts: int = 500,
              train_freq: int = 4, target_update: int = 500, eps_start: float = 1.0,
              eps_end: float = 0.05, eps_fraction: float = 0.3, seed: int = 0,
              progress: bool = False) -> DQNHistory:
    """Train ``agent`` on the gymnasium environment ``env`` for ``steps`` environment steps.

    ``features(obs) -> float32 array`` turns observations into network inputs (default: the
    observation as float32). Returns a :class:`DQNHistory`.
    """
    steps, batch_size = check_int("steps", steps), check_int("batch_size", batch_size)
    buffer_size, train_freq = check_int("buffer_size", buffer_size), check_int("train_freq", train_freq)
    target_update = check_int("target_update", target_update)
    if not 0 <= gamma <= 1:
        raise ValueError(f"gamma must be in [0, 1], got {gamma}")
    features = features or (lambda o: np.asarray(o, dtype=np.float32))
    rng = np.random.default_rng(seed)
    obs, _ = env.reset(seed=seed)
    x = features(obs)
    buf_x = np.zeros((buffer_size, x.shape[-1]), np.float32)
    buf_x2 = np.zeros_like(buf_x)
    buf_a = np.zeros(buffer_size, np.int64)
    buf_r = np.zeros(buffer_size, np.float32)
    buf_done = np.zeros(buffer_size, np.float32)
    n_actions = env.action_space.n
    hist, ret, size = DQNHistory(), 0.0, 0
    agent.update_target()
    it = range(steps)
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(it, desc="DQN", leave=False)
    for t in it:
        eps = max(eps_end, eps_start + (eps_end - eps_start) * t / max(1, eps_fraction * steps))
        if rng.random() < eps:
            a = int(rng.integers(n_actions))
        else:
            a = int(np.argmax(agent.q_values(x[None])[0]))
        obs2, r, term, trunc, _ = env.step(a)
        x2 = features(obs2)
        i = t % buffer_size
        buf_x[i], buf_a[i], buf_r[i], buf_x2[i], buf_done[i] = x, a, r, x2, float(term)
        size = min(size + 1, buffer_size)
        ret += r
        if term or trunc:
            hist.episode_returns.append(ret)
            ret = 0.0
            obs2, _ = env.reset()
            x2 = features(obs2)
        x = x2
        if t >= learning_starts and (t + 1) % train_freq == 0:
            idx = rng.integers(size, size=batch_size)
            q_next = agent.target_q_values(buf_x2[idx]).max(axis=1)
            y = buf_r[idx] + gamma * (1.0 - buf_done[idx]) * q_next
            hist.losses.append(float(agent.train_on_batch(buf_x[idx], buf_a[idx], y.astype(np.float32))))
        if (t + 1) % target_update == 0:
            agent.update_target()
    hist.steps = steps
    return hist


def greedy_policy(agent, inputs) -> np.ndarray:
    """The agent's greedy action for each row of ``inputs`` (e.g. every state's features)."""
    return np.argmax(agent.q_values(np.asarray(inputs, dtype=np.float32)), axis=1)
