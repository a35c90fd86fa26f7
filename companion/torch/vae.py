"""Mult-VAE and Mult-DAE (Liang et al. 2018) in PyTorch; the Keras twins are :mod:`companion.keras.vae`.

Both read a user's item row ``x`` (counts or 0/1), L2-normalise it, apply dropout (the
"denoising"), and map it through a tanh MLP to the logits of a **multinomial** over all items:
``log p(x | z) = Σ_j x_j log softmax(f(z))_j``. Mult-VAE's encoder outputs ``μ`` and ``log σ²``
of ``q(z | x)`` and trains on ``z = μ + σ ⊙ ε``, ``ε ~ N(0, I)`` (the paper's noise; RecBole
draws ε with std 0.01), with loss ``−log p(x | z) + β·KL(q ‖ N(0, I))`` per user and β from a
:class:`companion.vae.KLAnneal` schedule counted in optimizer updates. Mult-DAE is deterministic
(``z = tanh(W h)``, no KL). At scoring time ``z = μ``.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from torch import nn

from ..vae import KLAnneal, user_batches
from .training import fit

__all__ = ["MultDAE", "MultVAE", "encode_vae", "fit_vae", "kl_per_dimension", "multinomial_nll", "negative_elbo",
           "reconstruction_error", "score_vae"]


class MultVAE(nn.Module):
    """Mult-VAE: ``[n_items -> hidden -> 2·latent]`` encoder, ``[latent -> hidden -> n_items]`` decoder."""

    variational = True

    def __init__(self, n_items: int, hidden: int = 600, latent: int = 200, dropout: float = 0.5):
        super().__init__()
        if n_items < 2 or hidden < 1 or latent < 1 or not 0 <= dropout < 1:
            raise ValueError("need n_items >= 2, hidden and latent >= 1, dropout in [0, 1)")
        self.n_items, self.latent = n_items, latent
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Linear(n_items, hidden)
        self.stats = nn.Linear(hidden, 2 * latent if self.variational else latent)
        self.decoder_hidden = nn.Linear(latent, hidden)
        self.decoder_out = nn.Linear(hidden, n_items)
        for layer in (self.encoder, self.stats, self.decoder_hidden, self.decoder_out):  # as in vae_cf
            nn.init.xavier_uniform_(layer.weight)
            nn.init.normal_(layer.bias, std=0.001)

    def encode(self, x):
        """``(μ, log σ²)`` of q(z | x) (Mult-DAE: ``(z, None)``)."""
        h = torch.tanh(self.encoder(self.drop(F.normalize(x, dim=1))))
        s = self.stats(h)
        if not self.variational:
            return torch.tanh(s), None
        return s[:, :self.latent], s[:, self.latent:]

    def decode(self, z):
        return self.decoder_out(torch.tanh(self.decoder_hidden(z)))

    def forward(self, x):
        """``(logits, μ, log σ²)``; ``z`` is sampled in training mode, ``z = μ`` in eval mode."""
        mu, logvar = self.encode(x)
        z = mu
        if self.training and logvar is not None:
            z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        return self.decode(z), mu, logvar


class MultDAE(MultVAE):
    """Mult-DAE: the same network without the stochastic layer and without the KL term."""

    variational = False


def _kl(mu, logvar):
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(1)


def multinomial_nll(y_true, logits):
    """``−Σ_j x_j log softmax(logits)_j`` per row (``y_true`` the item counts ``x``)."""
    return -(F.log_softmax(logits, dim=1) * y_true).sum(1)


def fit_vae(model: MultVAE, x_train, *, epochs: int = 200, batch_size: int = 500, lr: float = 1e-3,
            weight_decay: float = 0.0, total_anneal_steps: int = 200_000, anneal_cap: float = 0.2,
            evaluate=None, patience: int | None = None, seed: int = 0, device=None, progress: bool = False):
    """Train on the rows of ``x_train`` (users x items, sparse or dense) with Adam; β follows
    ``KLAnneal(total_anneal_steps, anneal_cap)`` and advances once per batch (optimizer update).
    ``evaluate(model) -> float`` is the validation score watched for the best epoch. Returns the
    :class:`~companion.training.History` with ``betas`` (one per update) added."""
    anneal = KLAnneal(total_anneal_steps, anneal_cap)
    batches = user_batches(sp.csr_matrix(x_train), batch_size, seed)

    def loss_fn(m, x):
        beta = anneal.step()
        logits, mu, logvar = m(x)
        loss = multinomial_nll(x, logits)
        if logvar is not None:
            loss = loss + beta * _kl(mu, logvar)
        return loss.mean()

    hist = fit(model, batches, loss_fn, evaluate=evaluate, epochs=epochs, lr=lr, weight_decay=weight_decay,
               patience=patience, metric="ndcg@100" if evaluate else None, device=device, progress=progress)
    hist.betas = anneal.history
    return hist


def _dense_batches(x, batch_size: int = 1024):
    x = sp.csr_matrix(x, dtype=np.float32)
    for i in range(0, x.shape[0], batch_size):
        yield i, torch.as_tensor(x[i:i + batch_size].toarray())


def _device(model):
    return next(model.parameters()).device


@torch.no_grad()
def score_vae(model: MultVAE, x) -> np.ndarray:
    """Logits ``(n_users, n_items)`` with ``z = μ`` (eval mode, no dropout)."""
    model.eval()
    return np.concatenate([model(b.to(_device(model)))[0].cpu().numpy() for _, b in _dense_batches(x)])


@torch.no_grad()
def encode_vae(model: MultVAE, x) -> np.ndarray:
    """The posterior means ``μ`` (Mult-DAE: ``z``), ``(n_users, latent)``."""
    model.eval()
    return np.concatenate([model.encode(b.to(_device(model)))[0].cpu().numpy() for _, b in _dense_batches(x)])


@torch.no_grad()
def kl_per_dimension(model: MultVAE, x) -> np.ndarray:
    """Mean over the rows of ``x`` of each latent dimension's KL(q(z_d | x) ‖ N(0, 1)), ``(latent,)``.
    A dimension with KL ≈ 0 carries no information about the user: it has collapsed."""
    model.eval()
    parts = []
    for _, b in _dense_batches(x):
        mu, logvar = model.encode(b.to(_device(model)))
        parts.append((0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)).cpu().numpy())
    return np.concatenate(parts).mean(0)


@torch.no_grad()
def reconstruction_error(model: MultVAE, x) -> np.ndarray:
    """Per row, the multinomial negative log-likelihood ``−Σ_j x_j log π_j(μ)`` (eval mode)."""
    model.eval()
    return np.concatenate([multinomial_nll(b.to(_device(model)), model(b.to(_device(model)))[0]).cpu().numpy()
                           for _, b in _dense_batches(x)])


@torch.no_grad()
def negative_elbo(model: MultVAE, x, n_samples: int = 16, seed: int = 0) -> np.ndarray:
    """Per row, the negative ELBO ``E_q[−log p(x | z)] + KL(q ‖ p)`` (β = 1), the expectation by
    ``n_samples`` draws of ε (NumPy ``default_rng(seed)``, the same draws as the Keras twin)."""
    if not model.variational:
        raise ValueError("negative_elbo needs a MultVAE (a Mult-DAE has no posterior)")
    model.eval()
    rng = np.random.default_rng(seed)
    out = []
    for _, b in _dense_batches(x):
        b = b.to(_device(model))
        mu, logvar = model.encode(b)
        eps = torch.as_tensor(rng.standard_normal((n_samples, *mu.shape)).astype(np.float32), device=b.device)
        rec = torch.stack([multinomial_nll(b, model.decode(mu + torch.exp(0.5 * logvar) * e)) for e in eps]).mean(0)
        out.append((rec + _kl(mu, logvar)).cpu().numpy())
    return np.concatenate(out)
