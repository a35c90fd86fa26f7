"""PyTorch implementations. Mirrors :mod:`companion.keras` (same names for the same models)."""
from .training import History, fit, to_device  # noqa: F401
from .next_item import evaluate_next_item, fit_next_item, score_next_item, user_vectors  # noqa: F401,E402
from .recommenders import Caser, GRU4Rec, LSTM4Rec  # noqa: F401,E402
from .classifiers import PurchaseLSTM  # noqa: F401,E402
from .attention import MultiHeadAttention, scaled_dot_product_attention, sinusoidal_positions  # noqa: F401,E402
from .sasrec import SASRec  # noqa: F401,E402
from .rnn import RecurrentClassifier, ScratchGRU, ScratchLSTM, ScratchRNN  # noqa: F401,E402
from .forecast import LSTMForecaster, LSTMForecastNet  # noqa: F401,E402
