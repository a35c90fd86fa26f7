"""The scratch LSTM/GRU/RNN equal PyTorch's fused layers; Keras layers built from PyTorch weights agree;
the source 003 §4.2 worked examples recompute as documented."""
import numpy as np
import pytest
import torch
from torch import nn

import companion  # noqa: F401  (quiet TensorFlow before keras loads)
from companion.torch import ScratchGRU, ScratchLSTM, ScratchRNN
from companion.torch.rnn import RecurrentClassifier, ScratchGRUCell, ScratchLSTMCell, hidden_grad_norms

TOL = {torch.float32: 1e-6, torch.float64: 1e-12}


def _max_diff(a, b):
    if isinstance(a, tuple):
        return max(_max_diff(x, y) for x, y in zip(a, b))
    return float((a - b).abs().max())


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("num_layers", [1, 3])
@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
def test_scratch_equals_torch(kind, num_layers, dtype):
    torch.manual_seed(0)
    fused_cls, scratch_cls = {"lstm": (nn.LSTM, ScratchLSTM), "gru": (nn.GRU, ScratchGRU),
                              "rnn": (nn.RNN, ScratchRNN)}[kind]
    fused = fused_cls(5, 7, num_layers, batch_first=True).to(dtype)
    scratch = scratch_cls.from_torch(fused)
    x = torch.randn(4, 9, 5, dtype=dtype)
    with torch.no_grad():
        out_f, state_f = fused(x)
        out_s, state_s = scratch(x)
    assert out_s.shape == out_f.shape == (4, 9, 7)
    assert _max_diff(out_f, out_s) <= TOL[dtype]
    assert _max_diff(state_f, state_s) <= TOL[dtype]
    # with an initial state
    if kind == "lstm":
        hx = (torch.randn(num_layers, 4, 7, dtype=dtype), torch.randn(num_layers, 4, 7, dtype=dtype))
    else:
        hx = torch.randn(num_layers, 4, 7, dtype=dtype)
    with torch.no_grad():
        assert _max_diff(fused(x, hx)[0], scratch(x, hx)[0]) <= TOL[dtype]


def test_from_torch_copies_by_value_and_keeps_gate_names():
    lstm = nn.LSTM(3, 4, batch_first=True)
    s = ScratchLSTM.from_torch(lstm)
    names = {n for n, _ in s.named_parameters()}
    assert {"cells.0.W_i", "cells.0.U_f", "cells.0.b_g", "cells.0.W_o"} <= names
    assert torch.allclose(s.cells[0].U_f, lstm.weight_ih_l0[4:8])  # gate order i, f, g, o
    assert torch.allclose(s.cells[0].b_g, lstm.bias_ih_l0[8:12] + lstm.bias_hh_l0[8:12])
    with torch.no_grad():
        lstm.weight_ih_l0.zero_()
    assert s.cells[0].U_f.abs().sum() > 0


def test_from_torch_rejects_unsupported():
    with pytest.raises(ValueError, match="bidirectional"):
        ScratchLSTM.from_torch(nn.LSTM(3, 4, bidirectional=True))
    with pytest.raises(TypeError):
        ScratchLSTM.from_torch(nn.GRU(3, 4))
    with pytest.raises(ValueError, match="batch_first"):
        ScratchLSTM(3, 4, batch_first=False)
    with pytest.raises(ValueError, match="features"):
        ScratchLSTM(3, 4)(torch.zeros(2, 5, 4))


def test_no_bias_layers():
    for fused, cls in [(nn.LSTM(3, 4, bias=False, batch_first=True), ScratchLSTM),
                       (nn.GRU(3, 4, bias=False, batch_first=True), ScratchGRU)]:
        x = torch.randn(2, 5, 3)
        with torch.no_grad():
            assert _max_diff(fused(x)[0], cls.from_torch(fused)(x)[0]) <= 1e-6


@pytest.mark.parametrize("cell_cls", [ScratchLSTMCell, ScratchGRUCell])
def test_gradcheck_cell_float64(cell_cls):
    torch.manual_seed(0)
    cell = cell_cls(3, 4, dtype=torch.float64)
    x = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    h = torch.randn(2, 4, dtype=torch.float64, requires_grad=True)
    if cell_cls is ScratchLSTMCell:
        c = torch.randn(2, 4, dtype=torch.float64, requires_grad=True)
        fn = lambda x, h, c, *p: cell(x, (h, c))  # noqa: E731
        inputs = (x, h, c)
    else:
        fn = lambda x, h, *p: cell(x, h)  # noqa: E731
        inputs = (x, h)
    assert torch.autograd.gradcheck(fn, inputs + tuple(cell.parameters()))


def test_gradcheck_multilayer_lstm_float64():
    torch.manual_seed(0)
    lstm = ScratchLSTM(2, 3, num_layers=2, dtype=torch.float64)
    x = torch.randn(2, 4, 2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: lstm(x)[0], (x,))


def test_hidden_grad_norms_shape_and_vanishing():
    torch.manual_seed(0)
    from companion.data import lag_task

    x, y = lag_task(64, 30, 5, seed=0)
    model = RecurrentClassifier("rnn", x.shape[-1], 16, 4)
    norms = hidden_grad_norms(model, torch.tensor(x), torch.tensor(y))
    assert norms.shape == (30,)
    assert norms[0] < norms[-1]  # the gradient shrinks going back in time


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("num_layers", [1, 2])
def test_keras_transfer(num_layers, dtype):
    import keras

    from companion.keras import load_torch

    torch.manual_seed(0)
    x = torch.randn(3, 6, 5, dtype=dtype)
    kdtype = str(dtype).replace("torch.", "")
    for cls, kcls in [(nn.LSTM, keras.layers.LSTM), (nn.GRU, keras.layers.GRU), (nn.RNN, keras.layers.SimpleRNN)]:
        layer = cls(5, 4, num_layers, batch_first=True).to(dtype)
        k = keras.Sequential([keras.Input((None, 5), dtype=kdtype)]
                             + [kcls(4, return_sequences=True, dtype=kdtype) for _ in range(num_layers)])
        load_torch(k, layer)
        with torch.no_grad():
            expected = layer(x)[0].numpy()
        got = keras.ops.convert_to_numpy(k(x.numpy()))
        assert got.dtype == expected.dtype
        tol = 1e-5 if dtype == torch.float32 else 1e-12  # float64 copied exactly
        if kcls is keras.layers.SimpleRNN and dtype == torch.float64 and keras.backend.backend() == "torch":
            tol = 1e-6  # Keras's torch backend loses float64 precision in ops.matmul with a float64 Variable
            # (measured 4e-8); its LSTM and GRU stay within 1e-12
        assert np.abs(got - expected).max() <= tol


def test_copy_lstm_weights_into_existing_layer():
    import keras

    from companion.keras import load_torch

    torch.manual_seed(1)
    lstm = nn.LSTM(3, 2, batch_first=True)
    k = keras.layers.LSTM(2, return_sequences=True)
    load_torch(k, lstm)
    x = torch.randn(2, 4, 3)
    with torch.no_grad():
        assert np.abs(np.asarray(k(x.numpy())) - lstm(x)[0].numpy()).max() <= 1e-5
    with pytest.raises(ValueError, match="reset_after"):
        load_torch(keras.layers.GRU(2, reset_after=False), nn.GRU(3, 2))


def test_errata_examples():
    from companion.errata import table
    from companion.errata.rnn import ENTRIES, lstm_example, rnn_example

    r = rnn_example()
    assert np.allclose(r["z1"], [0.7, 1.0])
    l = lstm_example()
    assert np.allclose(l["z"], [0.3, 0.7, 1.1])
    # the known errors of sources.md
    by_what = {e.what: e for e in ENTRIES}
    assert np.allclose(by_what["RNN: σ([0.15, 0.46])"].correct(), [0.537, 0.613], atol=5e-4)
    assert np.allclose(by_what["LSTM: tanh([0.08, 0.15, 0.25])"].correct()[0], 0.0798, atol=5e-5)
    assert np.allclose(by_what["LSTM: σ([0.08, 0.15, 0.25])"].correct()[0], 0.520, atol=5e-4)
    # the scratch cell reproduces the corrected LSTM step when every gate gets the stated W and b
    cell = ScratchLSTMCell(3, 3, dtype=torch.float64)
    W = torch.tensor([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9]], dtype=torch.float64)
    with torch.no_grad():
        for g in "ifgo":
            getattr(cell, f"W_{g}").zero_()
            getattr(cell, f"U_{g}").copy_(W)
            getattr(cell, f"b_{g}").copy_(torch.tensor([0.1, 0.2, 0.3]))
        h, c = cell(torch.tensor([[0.0, 1.0, 0.0]], dtype=torch.float64), (torch.zeros(1, 3, dtype=torch.float64),) * 2)
    assert np.allclose(h.numpy()[0], l["h1"]) and np.allclose(c.numpy()[0], l["c1"])
    t = table(ENTRIES)
    assert len(t) == len(ENTRIES) and not t["correct"].isna().any()


def test_answers_rnn():
    from companion.exercises import check
    from companion.errata.rnn import lstm_example

    # exercise 1 (a second step of the corrected example) computed by the scratch cell: every gate
    # gets the stated W_i, b_i applied to the step's vector (h_1 at step 2), recurrent weights zero
    cell = ScratchLSTMCell(3, 3, dtype=torch.float64)
    with torch.no_grad():
        for g in "ifgo":
            getattr(cell, f"W_{g}").zero_()
            getattr(cell, f"U_{g}").copy_(torch.tensor([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9]]))
            getattr(cell, f"b_{g}").copy_(torch.tensor([0.1, 0.2, 0.3]))
        zero = torch.zeros(1, 3, dtype=torch.float64)
        h1, c1 = cell(torch.tensor([[0.0, 1.0, 0.0]], dtype=torch.float64), (zero, zero))
        h2, _ = cell(h1, (zero, c1))
    assert np.allclose(h1.numpy()[0], lstm_example()["h1"])
    assert check("rnn.lstm_step2", h2.numpy()[0], quiet=True)
    assert not check("rnn.lstm_step2", h1.numpy()[0], quiet=True)


def _chapter_cell(marker):
    import json
    from pathlib import Path

    nb = json.loads((Path(__file__).parents[1] / "notebooks" / "03_rnn_lstm_gru.ipynb").read_text())
    (cell,) = [c for c in nb["cells"] if c["cell_type"] == "code" and marker in "".join(c["source"])]
    return "".join(cell["source"])


def test_chapter_bptt_equals_autograd_and_the_key_uses_the_same_tiny_rnn():
    import sys
    from pathlib import Path

    from companion.exercises import check

    sys.path.insert(0, str(Path(__file__).parent))
    from answer_key.rnn import tiny_rnn

    ns = {"np": np, "torch": torch, "nn": nn}
    exec(compile(_chapter_cell("def bptt("), "<chapter 3 BPTT cell>", "exec"), ns)  # noqa: S102 (our own cell)
    tiny, xs, label = tiny_rnn()
    assert label == ns["label"] and np.array_equal(xs, ns["xs"])
    assert all(np.array_equal(tiny[k], ns["tiny"][k]) for k in tiny)
    # autograd's dL/dx_1 passes the exercise; the gradient of another step does not
    x = torch.tensor(xs)[None].requires_grad_()
    out, _ = ns["rnn64"](x)
    nn.functional.cross_entropy(ns["head64"](out[:, -1]), torch.tensor([label])).backward()
    assert check("rnn.bptt_input_grad", x.grad[0, 0].numpy(), quiet=True)
    assert not check("rnn.bptt_input_grad", x.grad[0, 1].numpy(), quiet=True)


def test_bptt_by_hand_on_random_rnns():
    ns = {"np": np, "torch": torch, "nn": nn}
    exec(compile(_chapter_cell("def bptt("), "<chapter 3 BPTT cell>", "exec"), ns)  # noqa: S102
    rng = np.random.default_rng(7)
    for T, scale in [(1, 0.5), (8, 1.5)]:
        p = {"W": rng.normal(0, scale, (4, 4)), "U": rng.normal(0, 1, (4, 3)), "b": rng.normal(0, 1, 4),
             "V": rng.normal(0, 1, (3, 4)), "c": rng.normal(0, 1, 3)}
        xs = rng.normal(size=(T, 3))
        tp = {k: torch.tensor(v, requires_grad=True) for k, v in p.items()}
        h = torch.zeros(4, dtype=torch.float64)
        for x_t in torch.tensor(xs):
            h = torch.tanh(tp["W"] @ h + tp["U"] @ x_t + tp["b"])
        nn.functional.cross_entropy((tp["V"] @ h + tp["c"])[None], torch.tensor([1])).backward()
        g = ns["bptt"](p, xs, 1)
        assert max(np.abs(g[k] - tp[k].grad.numpy()).max() for k in p) <= 1e-12


def test_answers_vanish_steps_and_forget_bias():
    from companion.exercises import check

    factor = 1.5 * (1 - 0.6 ** 2)
    assert factor ** 113 < 0.01 <= factor ** 112
    assert check("rnn.vanish_steps", 113, quiet=True) and not check("rnn.vanish_steps", 112, quiet=True)
    # the bias whose sigmoid, to the 29th power, is 0.1 (found by bisection, not by the formula)
    lo, hi = 0.0, 10.0
    for _ in range(100):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if torch.sigmoid(torch.tensor(mid, dtype=torch.float64)) ** 29 < 0.1 else (lo, mid)
    assert check("rnn.forget_bias_29", lo, quiet=True)
    assert not check("rnn.forget_bias_29", 1.0, quiet=True)


def test_diagrams_draw_and_reject_bad_input():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from companion.diagrams import draw_gru_cell, draw_lstm_cell, draw_unrolled_rnn

    for draw in (draw_unrolled_rnn, draw_lstm_cell, draw_gru_cell):
        ax = draw()
        assert ax.patches and ax.texts
        plt.close(ax.figure)
    assert sum(t.get_text() == "$h_T$" for t in draw_unrolled_rnn(steps=3).texts) == 1
    plt.close("all")
    with pytest.raises(ValueError, match="steps"):
        draw_unrolled_rnn(steps=1)
