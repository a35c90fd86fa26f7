"""PyTorch implementations. Mirrors :mod:`companion.keras`: the same module names, the same model
names, constructor arguments and function signatures (``tests/test_mirror.py`` checks it).

Model families: :mod:`~companion.torch.rnn`, :mod:`~companion.torch.attention`,
:mod:`~companion.torch.recommenders`, :mod:`~companion.torch.sasrec`. Task harnesses:
:mod:`~companion.torch.training` (the one ``fit``), :mod:`~companion.torch.next_item`,
:mod:`~companion.torch.forecast`, :mod:`~companion.torch.purchase`. Torch-only: the
``Scratch…`` lesson layers, :func:`to_device`, :func:`torch_permutation`.
Later chapters: :mod:`~companion.torch.seq2seq`, :mod:`~companion.torch.vae`, RL agents in
:mod:`~companion.torch.agents` (``DQN``); see :mod:`companion`.
"""
from .training import History, fit, to_device, torch_permutation
from .next_item import evaluate_next_item, fit_next_item, score_next_item, user_vectors
from .recommenders import Caser, GRU4Rec, LSTM4Rec
from .attention import MultiHeadAttention, scaled_dot_product_attention, sinusoidal_positions
from .sasrec import SASRec
from .rnn import LSTMForecastNet, PurchaseLSTM, RecurrentClassifier, ScratchGRU, ScratchLSTM, ScratchRNN
from .forecast import LSTMForecaster

from .agents import DQN
__all__ = [
    "Caser", "DQN", "GRU4Rec", "History", "LSTM4Rec", "LSTMForecastNet", "LSTMForecaster", "MultiHeadAttention",
    "PurchaseLSTM", "RecurrentClassifier", "SASRec", "ScratchGRU", "ScratchLSTM", "ScratchRNN",
    "evaluate_next_item", "fit", "fit_next_item", "score_next_item", "scaled_dot_product_attention",
    "sinusoidal_positions", "to_device", "torch_permutation", "user_vectors",
]
from .vae import (MultDAE, MultVAE, encode_vae, fit_vae, kl_per_dimension, multinomial_nll,  # noqa: E402
                  negative_elbo, reconstruction_error, score_vae)

__all__ += ["MultDAE", "MultVAE", "encode_vae", "fit_vae", "kl_per_dimension", "multinomial_nll", "negative_elbo",
            "reconstruction_error", "score_vae"]

from .seq2seq import Seq2SeqGRU, Seq2SeqTransformer
__all__ += ["Seq2SeqGRU", "Seq2SeqTransformer"]

from .churn import RecurrentHazard, predict_hazard, predict_window
__all__ += ["RecurrentHazard", "predict_hazard", "predict_window"]
from .ctr import ActivationUnit, BST, DIN, Dice, EmbeddingMLP, PReLU  # noqa: E402
__all__ += ["ActivationUnit", "BST", "DIN", "Dice", "EmbeddingMLP", "PReLU"]
