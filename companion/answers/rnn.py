"""Answers to the exercises of the RNN, LSTM and GRU chapter (notebook 03)."""
from __future__ import annotations

import numpy as np

from ..errata.rnn import lstm_example, rnn_example
from ..exercises import Expect


def _gru_step(fn):
    """``fn(x, h, cell) -> h_new`` must equal ``cell(x, h)`` for a ScratchGRUCell on random inputs."""
    import torch

    from ..torch.rnn import ScratchGRUCell

    if not callable(fn):
        return False, "pass your function gru_step(x, h, cell), not its result"
    torch.manual_seed(123)
    cell = ScratchGRUCell(3, 4, dtype=torch.float64)
    x, h = torch.randn(5, 3, dtype=torch.float64), torch.randn(5, 4, dtype=torch.float64)
    try:
        with torch.no_grad():
            got = torch.as_tensor(fn(x, h, cell), dtype=torch.float64)
            want = cell(x, h)
    except Exception as exc:  # noqa: BLE001  (report any error to the reader)
        return False, f"your function raised {type(exc).__name__}: {exc}"
    if got.shape != want.shape:
        return False, f"expected shape {tuple(want.shape)}, got {tuple(got.shape)}"
    err = float((got - want).abs().max())
    if err > 1e-10:
        hint = " (is it (1 − z)·n + z·h, with r applied to W_n h + b_hn?)"
        return False, f"max difference {err:.2e} from the reference{hint}"
    return True, ""


ANSWERS = {
    "lstm_step": Expect(lstm_example()["h1"], rtol=0, atol=5e-4,
                        hint="pre-activation W_i·[0, 1, 0] + b_i = [0.3, 0.7, 1.1]; then σ, tanh, c = i·g, h = o·tanh(c)"),
    "rnn_h2": Expect(rnn_example()["h2"], rtol=0, atol=5e-4,
                     hint="start from h_1 = σ([0.7, 1.0]) and keep the bias"),
    "gru_step": _gru_step,
    "gru_keras_order": Expect(np.array([1, 0, 2]), rtol=0, atol=0,
                              hint="PyTorch stacks r, z, n; Keras stacks z, r, h"),
}
