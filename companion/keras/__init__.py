"""Keras 3 implementations. Mirrors :mod:`companion.torch` (same names for the same models).

Runs on the TensorFlow backend by default; with ``KERAS_BACKEND=torch`` the Keras tests pass too
(``tests/test_project.py`` checks it), so the Keras side also runs where TensorFlow is missing.
Import :mod:`companion` first so TensorFlow starts quietly.
"""
import companion as _companion  # noqa: F401  (sets the TensorFlow environment before keras loads)

from .training import History, fit  # noqa: F401,E402
from .next_item import evaluate_next_item, fit_next_item, score_next_item, user_vectors  # noqa: F401,E402
from .recommenders import GRU4Rec, LSTM4Rec  # noqa: F401,E402
from .classifiers import PurchaseLSTM  # noqa: F401,E402
from .attention import mha_from_torch  # noqa: F401,E402
from .sasrec import SASRec, load_torch_weights  # noqa: F401,E402
from .rnn import RecurrentClassifier, copy_gru_weights, copy_lstm_weights, gru_from_torch, lstm_from_torch  # noqa: F401,E402
from .forecast import LSTMForecaster, LSTMForecastNet, copy_forecast_weights  # noqa: F401,E402
