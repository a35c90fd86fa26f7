"""Argument checks shared by the data generators and the models (one wording everywhere)."""
from __future__ import annotations

import numbers

import numpy as np

__all__ = ["check_ctr_model", "ctr_feature_means", "check_int", "check_prob", "check_positive", "check_dropout", "check_purchase_lstm", "check_seq2seq_gru"]


def check_int(name: str, v, low: int = 1) -> int:
    """``v`` as an int, or ``ValueError`` when it is not an int ``>= low`` (``bool`` is not an int)."""
    if isinstance(v, bool) or not isinstance(v, (numbers.Integral, np.integer)) or v < low:
        want = "a positive int" if low == 1 else f"an int >= {low}"
        raise ValueError(f"{name} must be {want}, got {v!r}")
    return int(v)


def check_prob(name: str, v, *, open_: bool = False) -> float:
    """``v`` as a float in [0, 1] (``open_``: in (0, 1))."""
    try:
        v = float(v)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a probability, got {v!r}") from None
    ok = (0.0 < v < 1.0) if open_ else (0.0 <= v <= 1.0)
    if not np.isfinite(v) or not ok:
        raise ValueError(f"{name} must be in {'(0, 1)' if open_ else '[0, 1]'}, got {v}")
    return v


def check_positive(name: str, v, upper=None) -> float:
    """``v`` as a finite float ``> 0`` (and ``< upper`` when given)."""
    if not np.isfinite(v) or v <= 0 or (upper is not None and v >= upper):
        bound = f"in (0, {upper})" if upper is not None else "positive"
        raise ValueError(f"{name} must be {bound}, got {v}")
    return float(v)


def check_dropout(name: str, v) -> float:
    """A dropout rate: a float in [0, 1)."""
    if not 0.0 <= v < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {v}")
    return float(v)


def check_purchase_lstm(n_categories, n_event_types, event_dim, category_dim, hidden, dropout,
                        recurrent_dropout, output_dropout) -> None:
    """The constructor arguments of both frameworks' ``PurchaseLSTM``."""
    for name, v in [("n_categories", n_categories), ("n_event_types", n_event_types),
                    ("event_dim", event_dim), ("category_dim", category_dim), ("hidden", hidden)]:
        check_int(name, v)
    for name, v in [("dropout", dropout), ("recurrent_dropout", recurrent_dropout),
                    ("output_dropout", output_dropout)]:
        check_dropout(name, v)


def check_seq2seq_gru(vocab_size, embedding_dim, hidden_size, dropout, attention) -> None:
    """The constructor arguments of both frameworks' ``Seq2SeqGRU``."""
    check_int("vocab_size", vocab_size, 4)
    check_int("embedding_dim", embedding_dim)
    check_int("hidden_size", hidden_size)
    check_dropout("dropout", dropout)
    if attention not in (None, "additive", "multiplicative"):
        raise ValueError(f"attention must be None, 'additive' or 'multiplicative', got {attention!r}")


CTR_ACTIVATIONS = ("prelu", "dice")


def check_ctr_model(n_items, item_features, embedding_dim, hidden, activation) -> None:
    """The shared constructor arguments of both frameworks' click-through models (chapter 11)."""
    if isinstance(n_items, bool) or not isinstance(n_items, (numbers.Integral, np.integer)) or n_items < 2:
        raise ValueError(f"n_items must be an int >= 2 (padding + one item), got {n_items!r}")
    check_int("embedding_dim", embedding_dim)
    if not hidden or any(isinstance(h, bool) or int(h) != h or h < 1 for h in hidden):
        raise ValueError(f"hidden sizes must be a non-empty sequence of positive ints, got {hidden!r}")
    if activation not in CTR_ACTIVATIONS:
        raise ValueError(f"activation must be one of {CTR_ACTIVATIONS}, got {activation!r}")
    if item_features is not None:
        f = np.asarray(item_features)
        if f.ndim != 2 or f.shape[0] != n_items:
            raise ValueError(f"item_features must have shape (n_items, n_features) = ({n_items}, ...), got {f.shape}")
        if not np.isfinite(f).all() or (f < 0).any():
            raise ValueError("item_features must be finite and non-negative (a multi-hot matrix)")


def ctr_feature_means(item_features) -> np.ndarray:
    """Rows scaled to sum to one (rows of zeros stay zero), float32: a product with it is the mean
    of the item's feature embeddings."""
    f = np.asarray(item_features, dtype=np.float32)
    s = f.sum(1, keepdims=True)
    return np.divide(f, s, out=np.zeros_like(f), where=s > 0)
