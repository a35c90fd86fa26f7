"""The purchase-prediction harness (PyTorch): the loss for :func:`companion.torch.fit` and the
probabilities of a trained :class:`companion.torch.PurchaseLSTM`. Mirrors
:mod:`companion.keras.purchase`; the batches come from :func:`companion.data.purchase_batches`.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

__all__ = ["predict_proba", "purchase_loss"]


def purchase_loss(model: nn.Module, batch) -> torch.Tensor:
    """Binary cross-entropy on logits for a batch ``({"events", "categories"}, labels)`` (for ``fit``)."""
    x, y = batch
    return nn.functional.binary_cross_entropy_with_logits(model(x["events"], x["categories"]), y.float())


@torch.no_grad()
def predict_proba(model: nn.Module, events, categories, batch_size: int = 2048) -> np.ndarray:
    """Purchase probabilities (sigmoid of the logits) in eval mode, as a NumPy array."""
    was = model.training
    model.eval()
    dev = next(model.parameters()).device
    ev = torch.as_tensor(np.asarray(events), dtype=torch.long)
    ca = torch.as_tensor(np.asarray(categories), dtype=torch.long)
    out = [torch.sigmoid(model(ev[s:s + batch_size].to(dev), ca[s:s + batch_size].to(dev))).cpu()
           for s in range(0, len(ev), batch_size)]
    model.train(was)
    return torch.cat(out).double().numpy()
