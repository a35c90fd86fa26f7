"""Keras 3 implementations. Mirrors :mod:`companion.torch`: the same module names, the same model
names, constructor arguments and function signatures (``tests/test_mirror.py`` checks it); no
model compiles itself (:func:`fit` does).

Model families: :mod:`~companion.keras.rnn`, :mod:`~companion.keras.attention`,
:mod:`~companion.keras.recommenders`, :mod:`~companion.keras.sasrec`. Task harnesses:
:mod:`~companion.keras.training` (the one ``fit``), :mod:`~companion.keras.next_item`,
:mod:`~companion.keras.forecast`, :mod:`~companion.keras.purchase`. Keras-only:
:func:`load_torch` (:mod:`~companion.keras.porting`), the one way to copy PyTorch weights in.

Runs on the TensorFlow backend by default; with ``KERAS_BACKEND=torch`` the Keras tests pass too
(``tests/test_project.py`` checks it), so the Keras side also runs where TensorFlow is missing.
Importing it sets TensorFlow's GPU memory growth (:func:`companion.configure_tensorflow`), so a
Keras call does not take the whole GPU before PyTorch runs in the same kernel.
"""
import companion as _companion  # (sets the TensorFlow environment before keras loads)

_companion.configure_tensorflow()

from .training import History, fit  # noqa: E402
from .next_item import evaluate_next_item, fit_next_item, score_next_item, user_vectors  # noqa: E402
from .recommenders import Caser, GRU4Rec, LSTM4Rec  # noqa: E402
from .attention import MultiHeadAttention, scaled_dot_product_attention, sinusoidal_positions  # noqa: E402
from .sasrec import SASRec  # noqa: E402
from .rnn import LSTMForecastNet, PurchaseLSTM, RecurrentClassifier  # noqa: E402
from .forecast import LSTMForecaster  # noqa: E402
from .porting import load_torch  # noqa: E402

from .agents import DQN  # noqa: E402
__all__ = [
    "Caser", "DQN", "GRU4Rec", "History", "LSTM4Rec", "LSTMForecastNet", "LSTMForecaster", "MultiHeadAttention",
    "PurchaseLSTM", "RecurrentClassifier", "SASRec", "evaluate_next_item", "fit", "fit_next_item",
    "load_torch", "score_next_item", "scaled_dot_product_attention", "sinusoidal_positions", "user_vectors",
]
from .vae import (MultDAE, MultVAE, encode_vae, fit_vae, kl_per_dimension, multinomial_nll,  # noqa: E402
                  negative_elbo, reconstruction_error, score_vae)

__all__ += ["MultDAE", "MultVAE", "encode_vae", "fit_vae", "kl_per_dimension", "multinomial_nll", "negative_elbo",
            "reconstruction_error", "score_vae"]

from .seq2seq import Seq2SeqGRU, Seq2SeqTransformer  # noqa: E402
__all__ += ["Seq2SeqGRU", "Seq2SeqTransformer"]

from .churn import RecurrentHazard, predict_hazard, predict_window  # noqa: E402
__all__ += ["RecurrentHazard", "predict_hazard", "predict_window"]
from .ctr import ActivationUnit, BST, DIN, Dice, EmbeddingMLP, PReLU  # noqa: E402
__all__ += ["ActivationUnit", "BST", "DIN", "Dice", "EmbeddingMLP", "PReLU"]
