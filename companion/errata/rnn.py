"""Errors in the sources' recurrent-network material, each recomputed.

Source 003 §4.2 works two examples by hand. Its RNN example states
W_h = [[0.1, 0.2], [0.3, 0.4]], b_h = [0.5, 0.6], h_0 = [0, 0] and multiplies W_h by the vector
[0, 1] it writes for [h_0, x_1]; its LSTM example states W_i = [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6],
[0.7, 0.8, 0.9]], b_i = [0.1, 0.2, 0.3], and uses the same W and b for every gate (as printed)
with [h_0, x_1] written as [0, 1, 0]. The ``correct`` functions below redo each step with exactly
those stated numbers (the :func:`rnn_example` and :func:`lstm_example` functions give all of them
at once), and, where a step was fed a wrong number, also what the source's own inputs give.

Two entries belong to the neural-network essentials chapter (sources 002 §4.2 and 001 §2.3).
Source 002's FAQ (Q2) recommends gradient clipping against *vanishing* gradients;
:func:`clipping_effect` shows that clipping rescales only gradients larger than the threshold.
"""
from __future__ import annotations

import numpy as np

from . import Erratum
from ._compute import raises, undefined

__all__ = ["ENTRIES", "clipping_effect", "rnn_example", "lstm_example", "sigmoid"]

RNN_W = np.array([[0.1, 0.2], [0.3, 0.4]])
RNN_B = np.array([0.5, 0.6])
RNN_V1 = np.array([0.0, 1.0])  # the source's "[h_0, x_1]"

LSTM_W = np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9]])
LSTM_B = np.array([0.1, 0.2, 0.3])
LSTM_V1 = np.array([0.0, 1.0, 0.0])  # the source's "[h_0, x_1]"


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))


def rnn_example() -> dict:
    """Source 003 §4.2.1 redone with its stated numbers: h_t = σ(W_h v_t + b_h), v_1 = [0, 1],
    and (as the source does) v_2 = h_1 (x_2 is never given a value)."""
    z1 = RNN_W @ RNN_V1 + RNN_B
    h1 = sigmoid(z1)
    z2 = RNN_W @ h1 + RNN_B
    h2 = sigmoid(z2)
    return {"z1": z1, "h1": h1, "z2": z2, "h2": h2}


def lstm_example() -> dict:
    """Source 003 §4.2.2 redone with its stated numbers (the same W and b for all four gates)."""
    z = LSTM_W @ LSTM_V1 + LSTM_B
    i = f = o = sigmoid(z)
    g = np.tanh(z)
    c1 = f * np.zeros(3) + i * g
    h1 = o * np.tanh(c1)
    return {"z": z, "i": i, "f": f, "g": g, "o": o, "c1": c1, "h1": h1}


def clipping_effect(T: int = 30, clip: float = 1.0) -> dict:
    """Norms of ∂h_T/∂h_0 of the linear recurrence h_t = w·h_{t-1} (hidden size 2) after T steps, before
    and after clipping the global norm at ``clip`` (``g · min(1, clip / ‖g‖)``, as
    ``torch.nn.utils.clip_grad_norm_`` and Keras's ``global_clipnorm`` do): with w = 0.5 the gradient
    vanishes (0.5^T) and clipping leaves it unchanged; with w = 2 it explodes (2^T) and clipping bounds it."""
    out = {}
    for name, w in (("vanishing", 0.5), ("exploding", 2.0)):
        g = np.linalg.matrix_power(w * np.eye(2), T) @ np.ones(2)   # ∂h_T/∂h_0 applied to a unit upstream gradient
        norm = float(np.linalg.norm(g))
        out[name] = {"before": norm, "after": float(np.linalg.norm(g * min(1.0, clip / norm)))}
    return out


def _clipping_cannot_revive() -> bool:
    e = clipping_effect()
    return (e["vanishing"]["after"] == e["vanishing"]["before"] < 1e-8
            and e["exploding"]["before"] > 1e8 and abs(e["exploding"]["after"] - 1.0) < 1e-12)


def _shape_mismatch(rows: int, cols: int, v_len: int) -> bool:
    return raises(lambda: np.ones((rows, cols)) @ np.ones(v_len), ValueError)


def _softmax_ce_gradient() -> bool:
    """Finite differences of L(z) = -Σ y log softmax(z) at z = [0.2, -0.1, 0.4], y = [0, 1, 0] equal ŷ - y
    and not y - ŷ."""
    z, y = np.array([0.2, -0.1, 0.4]), np.array([0.0, 1.0, 0.0])

    def loss(v):
        return -float(y @ (v - np.log(np.exp(v).sum())))

    eps = 1e-6
    grad = np.array([(loss(z + eps * d) - loss(z - eps * d)) / (2 * eps) for d in np.eye(3)])
    y_hat = np.exp(z) / np.exp(z).sum()
    return np.allclose(grad, y_hat - y, atol=1e-6) and not np.allclose(grad, y - y_hat, atol=1e-3)


#: Source 001 §2.3's PyTorch model, as printed.
MLP_CODE = """\
import torch
import torch.nn as nn

class NeuralNetwork(nn.Module):
    def __init__(self):
        super(NeuralNetwork, self).__init__()
        self.layer1 = nn.Linear(784, 128)
        self.dropout1 = nn.Dropout(0.2)
        self.layer2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.layer1(x))
        x = self.dropout1(x)
        x = self.layer2(x)
        return x

model = NeuralNetwork()
"""


_P_SIG = np.array([0.406, 0.567, 0.635])  # the source's printed σ([0.08, 0.15, 0.25])
_P_TANH = np.array([-0.028, 0.057, 0.133])  # the source's printed tanh([0.08, 0.15, 0.25])
_P_C1 = np.array([-0.011, 0.319, 0.486])

_RNN = "03_rnn_lstm_gru"
_NN = "02_nn_essentials"

ENTRIES = [
    Erratum("003 §4.2.1", "rnn", "RNN: shape of W_h·[h_0, x_1]",
            "2×2 matrix times [0, 1]",
            lambda: "W_h must have hidden + input = 3 columns for [h_0, x_1] = [0, 0, x_1]",
            "[h_{t-1}, x_t] concatenates a 2-vector and the input, so a 2×2 W_h cannot multiply it",
            _RNN, check=lambda: _shape_mismatch(2, 2, 3)),
    Erratum("003 §4.2.1", "rnn", "RNN: W_h·[0, 1] + b_h", [0.15, 0.46],
            lambda: rnn_example()["z1"],
            "neither W_h·[0, 1] = [0.2, 0.4] nor that plus b_h; the printed pre-activation has no source",
            _RNN),
    Erratum("003 §4.2.1", "rnn", "RNN: σ([0.15, 0.46])", [0.532, 0.788],
            lambda: sigmoid([0.15, 0.46]),
            "the sigmoid of the source's own pre-activation is miscomputed", _RNN),
    Erratum("003 §4.2.1", "rnn", "RNN: h_1 = σ(W_h·[0, 1] + b_h)", [0.532, 0.788],
            lambda: rnn_example()["h1"],
            "follows from the two errors above", _RNN),
    Erratum("003 §4.2.1", "rnn", "RNN: W_h·h_1 + b_h (with the printed h_1)", [0.156, 0.613],
            lambda: RNN_W @ np.array([0.532, 0.788]) + RNN_B,
            "the bias is dropped and the product is wrong (0.1·0.532 + 0.2·0.788 = 0.211); x_2 never enters",
            _RNN),
    Erratum("003 §4.2.1", "rnn", "RNN: σ([0.156, 0.613])", [0.596, 0.899],
            lambda: sigmoid([0.156, 0.613]),
            "the sigmoid is miscomputed again", _RNN),
    Erratum("003 §4.2.1", "rnn", "RNN: h_2 (from the correct h_1)", [0.596, 0.899],
            lambda: rnn_example()["h2"],
            "follows from all of the above", _RNN),
    Erratum("003 §4.2.2", "rnn", "LSTM: shape of [h_0, x_1]", "[0, 1, 0] (3 entries)",
            lambda: "[h_0, x_1] has 3 + input entries, so W_i needs 3 + input columns",
            "h_0 = [0, 0, 0] alone has 3 entries; the concatenation with x_1 is longer", _RNN,
            check=lambda: _shape_mismatch(3, 3, 4)),
    Erratum("003 §4.2.2", "rnn", "LSTM: W_i·[0, 1, 0] + b_i", [0.08, 0.15, 0.25],
            lambda: lstm_example()["z"],
            "W_i·[0, 1, 0] picks W_i's second column [0.2, 0.5, 0.8]; adding b_i gives [0.3, 0.7, 1.1]",
            _RNN),
    Erratum("003 §4.2.2", "rnn", "LSTM: σ([0.08, 0.15, 0.25])", _P_SIG,
            lambda: sigmoid([0.08, 0.15, 0.25]),
            "σ(z) > 0.5 for every z > 0; the printed values are below 0.5", _RNN),
    Erratum("003 §4.2.2", "rnn", "LSTM: tanh([0.08, 0.15, 0.25])", _P_TANH,
            lambda: np.tanh([0.08, 0.15, 0.25]),
            "tanh(z) ≈ z for small z and has the sign of z; tanh(0.08) cannot be negative", _RNN),
    Erratum("003 §4.2.2", "rnn", "LSTM: i_1 = f_1 = o_1 (stated weights)", _P_SIG,
            lambda: lstm_example()["i"],
            "follows from the wrong pre-activation", _RNN),
    Erratum("003 §4.2.2", "rnn", "LSTM: c̄_1 (stated weights)", _P_TANH,
            lambda: lstm_example()["g"],
            "follows from the wrong pre-activation", _RNN),
    Erratum("003 §4.2.2", "rnn", "LSTM: i_1 ⊙ c̄_1 with the printed i_1, c̄_1", _P_C1,
            lambda: _P_SIG * _P_TANH,
            "the element-wise product of the printed vectors is not the printed c_1", _RNN),
    Erratum("003 §4.2.2", "rnn", "LSTM: c_1 (stated weights)", _P_C1,
            lambda: lstm_example()["c1"],
            "follows from the errors above", _RNN),
    Erratum("003 §4.2.2", "rnn", "LSTM: o_1 ⊙ tanh(c_1) with the printed o_1, c_1",
            [0.397, 0.558, 0.610],
            lambda: _P_SIG * np.tanh(_P_C1),
            "h_1 = o_1 ⊙ tanh(c_1) ≤ o_1 element-wise; the printed h_1 is close to o_1 itself", _RNN),
    Erratum("003 §4.2.2", "rnn", "LSTM: h_1 (stated weights)", [0.397, 0.558, 0.610],
            lambda: lstm_example()["h1"],
            "follows from the errors above", _RNN),
    Erratum("002 §4.2", "nn_essentials", "gradient of softmax + cross-entropy",
            "∂L/∂y_t = y_t − ŷ_t",
            lambda: "∂L/∂z_t = ŷ_t − y_t (w.r.t. the logits z_t; mean over T adds 1/T)",
            "wrong quantity (y_t is the label, a constant) and wrong sign", _NN, check=_softmax_ce_gradient),
    Erratum("001 §2.3", "nn_essentials", "PyTorch model code", "x = F.relu(self.layer1(x))",
            lambda: "import torch.nn.functional as F  (missing import; NameError otherwise)",
            "F is used but never imported", _NN, check=lambda: "F" in undefined(MLP_CODE)),
    Erratum("002 FAQ Q2", "rnn", "\"gradient clipping\" as a remedy for vanishing gradients in long sequences",
            "clipping helps against vanishing gradients",
            lambda: "clipping rescales a gradient only when its norm exceeds the threshold: here ‖∂h_30/∂h_0‖ = "
                    f"{clipping_effect()['vanishing']['before']:.1e} (w = 0.5) is left as it is, while "
                    f"{clipping_effect()['exploding']['before']:.1e} (w = 2) is cut to 1; against vanishing "
                    "gradients use gates (LSTM/GRU), a forget-gate bias of 1, or shorter paths",
            "clipping bounds exploding gradients (梯度爆炸; Pascanu et al. 2013) and cannot enlarge a vanished one",
            _RNN, check=_clipping_cannot_revive),
]
