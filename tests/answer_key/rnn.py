"""Chapter 3 (RNN, LSTM and GRU)."""
import numpy as np

from . import Exercise


def lstm_step2():
    from companion.errata.rnn import LSTM_B, LSTM_W, lstm_example, sigmoid

    ex = lstm_example()
    z2 = LSTM_W @ ex["h1"] + LSTM_B           # the vector fed to every gate at step 2 is h_1
    i = f = o = sigmoid(z2)
    g = np.tanh(z2)
    c2 = f * ex["c1"] + i * g
    return o * np.tanh(c2)


def rnn_fixed_point():
    from companion.errata.rnn import RNN_B, RNN_W, sigmoid

    h = np.zeros(2)
    for _ in range(1000):
        h_new = sigmoid(RNN_W @ h + RNN_B)
        if np.abs(h_new - h).max() < 1e-12:
            break
        h = h_new
    return h_new


def gru_step():
    import torch

    def step(x, h, cell):
        r = torch.sigmoid(h @ cell.W_r.T + x @ cell.U_r.T + cell.b_r)
        z = torch.sigmoid(h @ cell.W_z.T + x @ cell.U_z.T + cell.b_z)
        n = torch.tanh(x @ cell.U_n.T + cell.b_n + r * (h @ cell.W_n.T + cell.b_hn))
        return (1 - z) * n + z * h

    return step


def gru_params():
    def layer(d, h):
        return 3 * h * d + 3 * h * h + 3 * h + 3 * h   # input and recurrent weights, two bias vectors

    return layer(10, 16) + layer(16, 16)


def vanish_steps():
    import math

    factor = 1.5 * (1 - 0.6 ** 2)              # w (1 - h^2): one step of BPTT through the tanh
    return math.ceil(math.log(0.01) / math.log(factor))


def forget_bias_29():
    f = 0.1 ** (1 / 29)                         # f^29 = 0.1
    return float(np.log(f / (1 - f)))


def tiny_rnn():
    """The tiny RNN of the chapter's BPTT check (the same draws, in the same order)."""
    rng = np.random.default_rng(0)
    tiny = {"W": rng.normal(0, 0.5, (4, 4)), "U": rng.normal(0, 0.5, (4, 3)), "b": rng.normal(0, 0.1, 4),
            "V": rng.normal(0, 0.5, (3, 4)), "c": np.zeros(3)}
    xs, label = rng.normal(size=(5, 3)), 2
    return tiny, xs, label


def bptt_input_grad():
    p, xs, label = tiny_rnn()
    hs = [np.zeros(4)]
    for x_t in xs:
        hs.append(np.tanh(p["W"] @ hs[-1] + p["U"] @ x_t + p["b"]))
    z = p["V"] @ hs[-1] + p["c"]
    y_hat = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    delta = p["V"].T @ (y_hat - np.eye(3)[label])
    for t in range(len(xs), 0, -1):
        eps = (1 - hs[t] ** 2) * delta
        delta = p["W"].T @ eps
    return p["U"].T @ eps                       # dL/dx_1 = U^T eps_1


EXERCISES = [
    Exercise("rnn.vanish_steps", "how far back a gradient reaches", vanish_steps, kind="exact",
             hint="each step back multiplies by w(1 - h^2); find the first k where that factor to the power k is "
                  "below 0.01", wrong=(112,), difficulty="*"),
    Exercise("rnn.forget_bias_29", "a forget bias for a 29-step memory", forget_bias_29, tol=5e-4,
             hint="solve f^29 = 0.1 for f, then invert the sigmoid", difficulty="*"),
    Exercise("rnn.bptt_input_grad", "BPTT down to the input", bptt_input_grad, tol=5e-5,
             hint="x_1 enters only a_1, through U; run the backward loop down to t = 1",
             difficulty="**"),
    Exercise("rnn.gru_step", "implement the GRU update", gru_step, kind="property", check="gru_step",
             hint="r and z are sigmoids; n uses r on (W_n h + b_hn); the new state mixes n and h with z",
             difficulty="**"),
]

# retired: the chapter showed their answers (the errata table's h_2 is within 0.002 of the fixed
# point, and the weight-shape table gave the GRU's parameter count)
EXERCISES += [
    Exercise("rnn.lstm_step2", "a second LSTM step of the corrected example (retired)", lstm_step2, tol=5e-4,
             hint="step 2 is step 1 with two changes: the gates get W_i h_1 + b_i, and c_1 enters through f",
             difficulty="**", retired=True),
    Exercise("rnn.rnn_fixed_point", "where the example RNN's state settles (retired)", rnn_fixed_point, tol=5e-4,
             hint="repeat h <- sigma(W_h h + b_h) from h_0 = 0 until h stops changing", difficulty="**",
             retired=True),
    Exercise("rnn.gru_params", "parameters of a two-layer GRU (retired)", gru_params, kind="exact",
             hint="three blocks per layer, each with input weights, recurrent weights and two biases; "
                  "layer 2 reads layer 1's hidden state", difficulty="**", retired=True),
]


def lstm_step():  # retired: the errata table and a check cell show h_1
    from companion.errata.rnn import lstm_example

    return lstm_example()["h1"]


def rnn_h2():  # retired: the errata table shows h_2
    from companion.errata.rnn import rnn_example

    return rnn_example()["h2"]


def gru_keras_order():  # retired: the weight-layout table says "swap the first two blocks"
    return [1, 0, 2]


EXERCISES += [
    Exercise("rnn.lstm_step", "one LSTM step (retired)", lstm_step, tol=5e-4,
             hint="pre-activation W_i [0, 1, 0] + b_i; then sigma, tanh, c = i g, h = o tanh(c)", retired=True),
    Exercise("rnn.rnn_h2", "the RNN example's h_2 (retired)", rnn_h2, tol=5e-4,
             hint="start from the corrected h_1 and keep the bias", retired=True),
    Exercise("rnn.gru_keras_order", "GRU gate order (retired)", gru_keras_order, kind="exact",
             hint="compare the order in which PyTorch and Keras stack the GRU blocks", retired=True),
]
