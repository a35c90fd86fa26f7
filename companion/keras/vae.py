"""Mult-VAE and Mult-DAE in Keras 3, twins of :mod:`companion.torch.vae` (same names and arguments).

Each is a ``keras.Model`` whose ``call`` adds its own KL term with ``add_loss`` (β is a
non-trainable variable that :func:`fit_vae` sets before every update), so the compiled loss is
only the multinomial negative log-likelihood and one ``compile``/``fit`` trains the whole model,
on the TensorFlow and the torch backends alike.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

import companion as _companion  # noqa: F401  (quiet TensorFlow start-up)
import keras
from keras import ops

from ..vae import KLAnneal, user_batches
from .training import fit

__all__ = ["MultDAE", "MultVAE", "encode_vae", "fit_vae", "kl_per_dimension", "multinomial_nll",
           "negative_elbo", "reconstruction_error", "score_vae"]


def multinomial_nll(y_true, logits):
    """``−Σ_j x_j log softmax(logits)_j`` per row (a Keras loss)."""
    y_true = ops.convert_to_tensor(y_true, dtype=logits.dtype)
    return -ops.sum(ops.log_softmax(logits, axis=-1) * y_true, axis=-1)


class MultVAE(keras.Model):
    """Mult-VAE (see :class:`companion.torch.vae.MultVAE`)."""

    variational = True

    def __init__(self, n_items: int, hidden: int = 600, latent: int = 200, dropout: float = 0.5, **kwargs):
        super().__init__(**kwargs)
        if n_items < 2 or hidden < 1 or latent < 1 or not 0 <= dropout < 1:
            raise ValueError("need n_items >= 2, hidden and latent >= 1, dropout in [0, 1)")
        self.n_items, self.latent = n_items, latent
        init = dict(kernel_initializer="glorot_uniform",
                    bias_initializer=keras.initializers.RandomNormal(stddev=0.001))
        self.drop = keras.layers.Dropout(dropout)
        self.encoder = keras.layers.Dense(hidden, activation="tanh", **init)
        self.stats = keras.layers.Dense(2 * latent if self.variational else latent, **init)
        self.decoder_hidden = keras.layers.Dense(hidden, activation="tanh", **init)
        self.decoder_out = keras.layers.Dense(n_items, **init)
        self.beta = self.add_weight(shape=(), initializer="zeros", trainable=False, name="beta")
        self.noise = keras.random.SeedGenerator(0)

    def encode(self, x, training=False):
        x = ops.convert_to_tensor(x, dtype="float32")
        h = x / ops.maximum(ops.sqrt(ops.sum(x * x, axis=-1, keepdims=True)), 1e-12)
        s = self.stats(self.encoder(self.drop(h, training=training)))
        if not self.variational:
            return ops.tanh(s), None
        return s[:, :self.latent], s[:, self.latent:]

    def decode(self, z):
        return self.decoder_out(self.decoder_hidden(z))

    def call(self, x, training=False):
        mu, logvar = self.encode(x, training=training)
        z = mu
        if logvar is not None:
            if training:
                z = mu + ops.exp(0.5 * logvar) * keras.random.normal(ops.shape(mu), seed=self.noise)
            kl = 0.5 * ops.sum(mu * mu + ops.exp(logvar) - 1.0 - logvar, axis=-1)
            self.add_loss(self.beta * ops.mean(kl))
        return self.decode(z)


class MultDAE(MultVAE):
    """Mult-DAE: no stochastic layer, no KL term."""

    variational = False


def fit_vae(model: MultVAE, x_train, *, epochs: int = 200, batch_size: int = 500, lr: float = 1e-3,
            weight_decay: float = 0.0, total_anneal_steps: int = 200_000, anneal_cap: float = 0.2,
            evaluate=None, patience: int | None = None, seed: int = 0, device=None, progress: bool = False):
    """As :func:`companion.torch.vae.fit_vae` (same batches, same β per update)."""
    anneal = KLAnneal(total_anneal_steps, anneal_cap)
    epoch = user_batches(sp.csr_matrix(x_train), batch_size, seed)

    def batches():
        for x in epoch():
            model.beta.assign(anneal.step())
            yield x, x

    hist = fit(model, batches, multinomial_nll, evaluate=evaluate, epochs=epochs, lr=lr, weight_decay=weight_decay,
               patience=patience, metric="ndcg@100" if evaluate else None, device=device, progress=progress)
    hist.betas = anneal.history
    return hist


def _dense_batches(x, batch_size: int = 1024):
    x = sp.csr_matrix(x, dtype=np.float32)
    for i in range(0, x.shape[0], batch_size):
        yield x[i:i + batch_size].toarray()


def score_vae(model: MultVAE, x) -> np.ndarray:
    """Logits with ``z = μ`` (inference mode)."""
    return np.concatenate([ops.convert_to_numpy(model(b, training=False)) for b in _dense_batches(x)])


def encode_vae(model: MultVAE, x) -> np.ndarray:
    """The posterior means ``μ`` (Mult-DAE: ``z``)."""
    return np.concatenate([ops.convert_to_numpy(model.encode(b)[0]) for b in _dense_batches(x)])


def kl_per_dimension(model: MultVAE, x) -> np.ndarray:
    """Mean KL per latent dimension over the rows of ``x``."""
    parts = []
    for b in _dense_batches(x):
        mu, logvar = model.encode(b)
        parts.append(ops.convert_to_numpy(0.5 * (mu * mu + ops.exp(logvar) - 1.0 - logvar)))
    return np.concatenate(parts).mean(0)


def reconstruction_error(model: MultVAE, x) -> np.ndarray:
    """Per row, the multinomial negative log-likelihood at ``z = μ``."""
    return np.concatenate([ops.convert_to_numpy(multinomial_nll(b, model(b, training=False)))
                           for b in _dense_batches(x)])


def negative_elbo(model: MultVAE, x, n_samples: int = 16, seed: int = 0) -> np.ndarray:
    """Per row, the negative ELBO with β = 1 (the same ε draws as the PyTorch twin)."""
    if not model.variational:
        raise ValueError("negative_elbo needs a MultVAE (a Mult-DAE has no posterior)")
    rng = np.random.default_rng(seed)
    out = []
    for b in _dense_batches(x):
        mu, logvar = model.encode(b)
        eps = rng.standard_normal((n_samples, *b.shape[:1], model.latent)).astype(np.float32)
        rec = np.mean([ops.convert_to_numpy(multinomial_nll(b, model.decode(mu + ops.exp(0.5 * logvar) * ops.convert_to_tensor(e))))
                       for e in eps], axis=0)
        kl = ops.convert_to_numpy(0.5 * ops.sum(mu * mu + ops.exp(logvar) - 1.0 - logvar, axis=-1))
        out.append(rec + kl)
    return np.concatenate(out)
