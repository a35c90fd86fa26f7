"""Recurrent networks (PyTorch): the layers written out gate by gate, and the models built on one
recurrent layer. Mirrors :mod:`companion.keras.rnn` (same model names and arguments).

* torch-only lesson code, written so the equations in the book can be read off it:
  :class:`ScratchLSTMCell`, :class:`ScratchGRUCell`, :class:`ScratchRNNCell`,
  :class:`ScratchLSTM`, :class:`ScratchGRU`, :class:`ScratchRNN`, :func:`hidden_grad_norms`;
* models: :class:`RecurrentClassifier` (chapter 3), :class:`PurchaseLSTM` (chapter 4),
  :class:`LSTMForecastNet` (chapter 5).

The notation follows source 000 §4.2: for every gate ``k`` in ``i, f, g, o``

.. math::

    k_t = \\sigma(W_k h_{t-1} + U_k x_t + b_k)\\quad(\\tanh \\text{ for } g)

with ``W_k`` acting on the previous hidden state and ``U_k`` on the input. Each gate has its
own named parameter (``W_i``, ``U_i``, ``b_i``, ...), instead of PyTorch's four gates stacked
in one ``weight_ih_l0`` matrix, and a single bias (PyTorch keeps two, ``b_ih + b_hh``, that
only ever appear as a sum in the LSTM).

:class:`ScratchLSTM`, :class:`ScratchGRU` and :class:`ScratchRNN` take ``batch_first`` input and
return ``(output, h_n)`` / ``(output, (h_n, c_n))`` exactly like ``nn.RNN`` / ``nn.LSTM`` /
``nn.GRU``; ``from_torch`` copies the weights of a trained PyTorch layer so the outputs can be
compared.

:class:`PurchaseLSTM` mirrors the Keras one layer for layer, including its initialisation and its
dropout: Keras's ``LSTM(dropout=..., recurrent_dropout=...)`` draws ONE dropout mask per sequence
for the inputs and one for the previous hidden state ``h_{t-1}`` and reuses them at every time
step (variational dropout, Gal & Ghahramani 2016). ``torch.nn.LSTM``'s ``dropout`` argument is
something else (dropout between stacked layers, no effect with one layer), so this model steps an
``nn.LSTMCell`` through time and applies the masks itself.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from .._checks import check_int, check_purchase_lstm

__all__ = [
    "ScratchLSTMCell",
    "ScratchGRUCell",
    "ScratchRNNCell",
    "ScratchLSTM",
    "ScratchGRU",
    "ScratchRNN",
    "LSTMForecastNet",
    "PurchaseLSTM",
    "RecurrentClassifier",
    "hidden_grad_norms",
    "set_forget_bias",
]

LSTM_GATES = ("i", "f", "g", "o")  # PyTorch's order of the stacked gates in weight_ih / weight_hh
GRU_GATES = ("r", "z", "n")


def _init_uniform(module: nn.Module, hidden_size: int) -> None:
    """PyTorch's default for recurrent layers: every parameter ~ U(-1/sqrt(H), 1/sqrt(H))."""
    bound = 1.0 / math.sqrt(hidden_size)
    for p in module.parameters():
        nn.init.uniform_(p, -bound, bound)


class _GatedCell(nn.Module):
    """One named (W, U, b) triple per gate."""

    gates: tuple = ()

    def __init__(self, input_size: int, hidden_size: int, *, dtype=None, device=None):
        super().__init__()
        if input_size < 1 or hidden_size < 1:
            raise ValueError(f"input_size and hidden_size must be >= 1, got {input_size}, {hidden_size}")
        self.input_size, self.hidden_size = int(input_size), int(hidden_size)
        kw = {"dtype": dtype, "device": device}
        for k in self.gates:
            setattr(self, f"W_{k}", nn.Parameter(torch.empty(hidden_size, hidden_size, **kw)))
            setattr(self, f"U_{k}", nn.Parameter(torch.empty(hidden_size, input_size, **kw)))
            setattr(self, f"b_{k}", nn.Parameter(torch.empty(hidden_size, **kw)))
        self._extra_params(kw)
        _init_uniform(self, hidden_size)

    def _extra_params(self, kw) -> None:
        pass

    def pre(self, k: str, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """The pre-activation of gate ``k``: W_k h + U_k x + b_k."""
        return h @ getattr(self, f"W_{k}").T + x @ getattr(self, f"U_{k}").T + getattr(self, f"b_{k}")

    def _load(self, w_ih, w_hh, b_ih, b_hh) -> None:
        """Copy PyTorch's stacked weights (gates in ``self.gates`` order) into the named gates."""
        H = self.hidden_size
        with torch.no_grad():
            for j, k in enumerate(self.gates):
                rows = slice(j * H, (j + 1) * H)
                getattr(self, f"U_{k}").copy_(w_ih[rows])
                getattr(self, f"W_{k}").copy_(w_hh[rows])
                b = getattr(self, f"b_{k}")
                if b_ih is None:
                    b.zero_()
                else:
                    b.copy_(b_ih[rows] + self._hh_bias_share(k, b_hh[rows]))

    def _hh_bias_share(self, k, b_hh_rows):
        return b_hh_rows


class ScratchLSTMCell(_GatedCell):
    """One LSTM step (source 000 §4.2):

    i = σ(W_i h + U_i x + b_i), f = σ(W_f h + U_f x + b_f), g = tanh(W_g h + U_g x + b_g),
    o = σ(W_o h + U_o x + b_o), c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh(c').
    """

    gates = LSTM_GATES

    def forward(self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor]):
        h, c = state
        i = torch.sigmoid(self.pre("i", x, h))
        f = torch.sigmoid(self.pre("f", x, h))
        g = torch.tanh(self.pre("g", x, h))
        o = torch.sigmoid(self.pre("o", x, h))
        c = f * c + i * g
        h = o * torch.tanh(c)
        return h, c


class ScratchGRUCell(_GatedCell):
    """One GRU step, PyTorch's convention (the reset gate is applied after the recurrent product):

    r = σ(W_r h + U_r x + b_r), z = σ(W_z h + U_z x + b_z),
    n = tanh(U_n x + b_n + r ⊙ (W_n h + b_hn)), h' = (1 − z) ⊙ n + z ⊙ h.

    ``b_hn`` is the one bias that cannot be merged: it sits inside the reset gate's product.
    """

    gates = GRU_GATES

    def _extra_params(self, kw) -> None:
        self.b_hn = nn.Parameter(torch.empty(self.hidden_size, **kw))

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        r = torch.sigmoid(self.pre("r", x, h))
        z = torch.sigmoid(self.pre("z", x, h))
        n = torch.tanh(x @ self.U_n.T + self.b_n + r * (h @ self.W_n.T + self.b_hn))
        return (1 - z) * n + z * h

    def _hh_bias_share(self, k, b_hh_rows):
        return torch.zeros_like(b_hh_rows) if k == "n" else b_hh_rows

    def _load(self, w_ih, w_hh, b_ih, b_hh) -> None:
        super()._load(w_ih, w_hh, b_ih, b_hh)
        H = self.hidden_size
        with torch.no_grad():
            if b_hh is None:
                self.b_hn.zero_()
            else:
                self.b_hn.copy_(b_hh[2 * H:3 * H])


class ScratchRNNCell(_GatedCell):
    """The vanilla (Elman) step: h' = tanh(W h + U x + b)."""

    gates = ("h",)

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.pre("h", x, h))


class _ScratchRecurrent(nn.Module):
    cell_class: type = _GatedCell
    torch_class: type = nn.Module
    has_cell_state = False

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, *,
                 dropout: float = 0.0, batch_first: bool = True, dtype=None, device=None):
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"num_layers must be >= 1, got {num_layers}")
        if not batch_first:
            raise ValueError("the scratch layers take batch_first input (batch, time, features) only")
        self.input_size, self.hidden_size, self.num_layers = int(input_size), int(hidden_size), int(num_layers)
        self.dropout, self.batch_first = float(dropout), True
        self.cells = nn.ModuleList(
            self.cell_class(input_size if layer == 0 else hidden_size, hidden_size, dtype=dtype, device=device)
            for layer in range(num_layers)
        )

    def _zeros(self, x):
        return x.new_zeros(self.num_layers, x.shape[0], self.hidden_size)

    def run(self, x: torch.Tensor, hx=None):
        """Like ``forward``, plus the list of the top layer's hidden states h_1..h_T (graph tensors,
        so ``torch.autograd.grad(loss, states)`` gives ∂L/∂h_t)."""
        if x.dim() != 3:
            raise ValueError(f"expected input of shape (batch, time, features), got {tuple(x.shape)}")
        if x.shape[-1] != self.input_size:
            raise ValueError(f"expected {self.input_size} input features, got {x.shape[-1]}")
        if self.has_cell_state:
            h0, c0 = hx if hx is not None else (self._zeros(x), self._zeros(x))
        else:
            h0 = hx if hx is not None else self._zeros(x)
        layer_input, h_n, c_n = x, [], []
        for layer, cell in enumerate(self.cells):
            h = h0[layer]
            c = c0[layer] if self.has_cell_state else None
            states = []
            for t in range(layer_input.shape[1]):
                if self.has_cell_state:
                    h, c = cell(layer_input[:, t], (h, c))
                else:
                    h = cell(layer_input[:, t], h)
                states.append(h)
            h_n.append(h)
            c_n.append(c)
            layer_input = torch.stack(states, dim=1)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                layer_input = nn.functional.dropout(layer_input, self.dropout, training=True)
        h_n = torch.stack(h_n)
        final = (h_n, torch.stack(c_n)) if self.has_cell_state else h_n
        return layer_input, final, states

    def forward(self, x: torch.Tensor, hx=None):
        output, final, _ = self.run(x, hx)
        return output, final

    @classmethod
    def from_torch(cls, layer: nn.Module):
        """A scratch layer holding the weights of ``layer`` (an ``nn.LSTM``/``nn.GRU``/``nn.RNN``).

        The copy is by value: training one afterwards does not change the other. The PyTorch
        layer's ``batch_first`` flag only changes its input layout, not its weights; feed the
        scratch layer (batch, time, features).
        """
        if not isinstance(layer, cls.torch_class):
            raise TypeError(f"{cls.__name__}.from_torch expects an {cls.torch_class.__name__}, got {type(layer).__name__}")
        if layer.bidirectional:
            raise ValueError("bidirectional layers are not supported by the scratch implementation")
        if getattr(layer, "proj_size", 0):
            raise ValueError("LSTM with proj_size > 0 is not supported by the scratch implementation")
        if getattr(layer, "nonlinearity", "tanh") != "tanh":
            raise ValueError("only the tanh RNN is supported")
        p = layer.weight_ih_l0
        new = cls(layer.input_size, layer.hidden_size, layer.num_layers, dropout=layer.dropout,
                  dtype=p.dtype, device=p.device)
        for k, cell in enumerate(new.cells):
            get = lambda name: getattr(layer, f"{name}_l{k}", None)  # noqa: E731
            cell._load(get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh"))
        return new.train(layer.training)


class ScratchLSTM(_ScratchRecurrent):
    """A multi-layer LSTM, gate by gate; same call and return as ``nn.LSTM(batch_first=True)``:
    ``output, (h_n, c_n) = lstm(x, (h_0, c_0))``."""

    cell_class = ScratchLSTMCell
    torch_class = nn.LSTM
    has_cell_state = True


class ScratchGRU(_ScratchRecurrent):
    """A multi-layer GRU, gate by gate; same call and return as ``nn.GRU(batch_first=True)``."""

    cell_class = ScratchGRUCell
    torch_class = nn.GRU


class ScratchRNN(_ScratchRecurrent):
    """A multi-layer tanh RNN; same call and return as ``nn.RNN(batch_first=True)``."""

    cell_class = ScratchRNNCell
    torch_class = nn.RNN


_FUSED = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
_SCRATCH = {"rnn": ScratchRNN, "lstm": ScratchLSTM, "gru": ScratchGRU}


class RecurrentClassifier(nn.Module):
    """A recurrent layer (``kind`` = ``"rnn"``, ``"lstm"`` or ``"gru"``) read at the last step,
    then a linear layer to ``n_classes`` logits. ``scratch=True`` uses the gate-by-gate layers
    (slower, but their hidden states can be inspected with :func:`hidden_grad_norms`)."""

    def __init__(self, kind: str, input_size: int, hidden_size: int, n_classes: int = 2, *,
                 num_layers: int = 1, scratch: bool = False):
        super().__init__()
        if kind not in _FUSED:
            raise ValueError(f"kind must be one of {sorted(_FUSED)}, got {kind!r}")
        self.kind = kind
        if scratch:
            self.rnn = _SCRATCH[kind](input_size, hidden_size, num_layers)
        else:
            self.rnn = _FUSED[kind](input_size, hidden_size, num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        output, _ = self.rnn(x)
        return self.head(output[:, -1])

    def to_scratch(self) -> "RecurrentClassifier":
        """The same model (same weights) with a scratch recurrent layer."""
        new = RecurrentClassifier.__new__(RecurrentClassifier)
        nn.Module.__init__(new)
        new.kind = self.kind
        new.rnn = _SCRATCH[self.kind].from_torch(self.rnn) if not isinstance(self.rnn, _ScratchRecurrent) else self.rnn
        new.head = self.head
        return new


def hidden_grad_norms(model: RecurrentClassifier, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """‖∂L/∂h_t‖ for t = 1..T (mean over the batch of the per-example norm), where L is the
    cross-entropy of the prediction read at the last step and h_t the top layer's hidden state.

    How much the loss at the end can still "reach back" to step t; it decays geometrically
    with T − t when gradients vanish.
    """
    scratch = model if isinstance(model.rnn, _ScratchRecurrent) else model.to_scratch()
    _, _, states = scratch.rnn.run(x)
    logits = scratch.head(states[-1])
    loss = nn.functional.cross_entropy(logits, y, reduction="sum")
    grads = torch.autograd.grad(loss, states, allow_unused=True)
    norms = [torch.zeros(()) if g is None else g.norm(dim=-1).mean() for g in grads]
    return torch.stack(norms).detach()


def set_forget_bias(lstm: nn.LSTM, value: float = 1.0) -> nn.LSTM:
    """Set every layer's forget-gate bias to ``value`` (``bias_ih`` part; the ``bias_hh`` part to 0).

    A forget bias of 1 starts the LSTM remembering (f ≈ σ(1) = 0.73) instead of halving its cell
    every step; Keras does this by default (``unit_forget_bias=True``), PyTorch does not.
    """
    H = lstm.hidden_size
    with torch.no_grad():
        for k in range(lstm.num_layers):
            getattr(lstm, f"bias_ih_l{k}")[H:2 * H].fill_(value)
            getattr(lstm, f"bias_hh_l{k}")[H:2 * H].zero_()
    return lstm


class PurchaseLSTM(nn.Module):
    """Embed (event type, category), run an LSTM over the prefix, map the last state to a logit.

    Inputs are left-padded int64 arrays ``(batch, time)`` with 0 = padding (see
    :meth:`companion.data.purchase.PurchaseSessions.arrays`); padded steps are skipped (the state is
    carried over them), as Keras's masking does. ``forward`` returns logits of shape ``(batch,)``.

    Parameters: ``n_categories`` (codes 1..n_categories), ``n_event_types`` (codes 1..n),
    embedding sizes, ``hidden`` units, ``dropout`` on the LSTM input, ``recurrent_dropout`` on
    ``h_{t-1}`` (both one mask per sequence), ``output_dropout`` before the output layer.
    """

    def __init__(self, n_categories: int, n_event_types: int = 2, *, event_dim: int = 4,
                 category_dim: int = 8, hidden: int = 32, dropout: float = 0.2,
                 recurrent_dropout: float = 0.2, output_dropout: float = 0.2):
        super().__init__()
        check_purchase_lstm(n_categories, n_event_types, event_dim, category_dim, hidden, dropout,
                            recurrent_dropout, output_dropout)
        self.n_categories, self.n_event_types, self.hidden = int(n_categories), int(n_event_types), int(hidden)
        self.dropout, self.recurrent_dropout = float(dropout), float(recurrent_dropout)
        self.event_embedding = nn.Embedding(n_event_types + 1, event_dim)
        self.category_embedding = nn.Embedding(n_categories + 1, category_dim)
        self.cell = nn.LSTMCell(event_dim + category_dim, hidden)
        self.output_dropout = nn.Dropout(output_dropout)
        self.head = nn.Linear(hidden, 1)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Keras's defaults: uniform(-0.05, 0.05) embeddings, Glorot-uniform input kernel,
        orthogonal recurrent kernel, zero biases except 1 for the forget gate, Glorot head."""
        with torch.no_grad():
            nn.init.uniform_(self.event_embedding.weight, -0.05, 0.05)
            nn.init.uniform_(self.category_embedding.weight, -0.05, 0.05)
            # Keras's kernel is (in, 4H); PyTorch stores its transpose (4H, in): same fans.
            nn.init.xavier_uniform_(self.cell.weight_ih)
            w = torch.empty(self.hidden, 4 * self.hidden)
            nn.init.orthogonal_(w)
            self.cell.weight_hh.copy_(w.T)
            self.cell.bias_ih.zero_()
            self.cell.bias_ih[self.hidden:2 * self.hidden] = 1.0  # gate order i, f, g, o
            self.cell.bias_hh.zero_()
            nn.init.xavier_uniform_(self.head.weight)
            nn.init.zeros_(self.head.bias)

    def _mask(self, shape, p, like):
        if not self.training or p == 0.0:
            return None
        return torch.bernoulli(torch.full(shape, 1.0 - p, device=like.device)) / (1.0 - p)

    def forward(self, events: torch.Tensor, categories: torch.Tensor) -> torch.Tensor:
        if events.shape != categories.shape or events.dim() != 2:
            raise ValueError(f"events and categories must both be (batch, time), got "
                             f"{tuple(events.shape)} and {tuple(categories.shape)}")
        present = events > 0
        if (present[:, :-1] & ~present[:, 1:]).any():
            raise ValueError("sequences must be left-padded: no padding (0) after the first event")
        # left padding: columns where every row is still padding change nothing; skip them
        start = int(present.any(0).int().argmax()) if present.any() else events.shape[1]
        events, categories, present = events[:, start:], categories[:, start:], present[:, start:]
        x = torch.cat([self.event_embedding(events), self.category_embedding(categories)], dim=-1)
        B, L, D = x.shape
        in_mask = self._mask((B, D), self.dropout, x)  # one mask per sequence, reused at every step
        if in_mask is not None:
            x = x * in_mask.unsqueeze(1)
        rec_mask = self._mask((B, self.hidden), self.recurrent_dropout, x)
        cell = self.cell
        # the input part of the gates for all steps at once: (B, L, 4H), gate order i, f, g, o
        pre = torch.nn.functional.linear(x, cell.weight_ih, cell.bias_ih + cell.bias_hh)
        h = x.new_zeros(B, self.hidden)
        c = x.new_zeros(B, self.hidden)
        H = self.hidden
        m = present.unsqueeze(-1).to(x.dtype)
        for t in range(L):
            h_in = h if rec_mask is None else h * rec_mask
            gates = pre[:, t] + h_in @ cell.weight_hh.T
            i, f, o = torch.sigmoid(gates[:, :2 * H]).chunk(2, 1) + (torch.sigmoid(gates[:, 3 * H:]),)
            g = torch.tanh(gates[:, 2 * H:3 * H])
            c_new = f * c + i * g
            h_new = o * torch.tanh(c_new)
            # padded step: keep the state. With left padding the state before the first event is 0,
            # so multiplying by the mask is the same as Keras's "carry the state over masked steps".
            h = h_new * m[:, t]
            c = c_new * m[:, t]
        return self.head(self.output_dropout(h)).squeeze(-1)


class LSTMForecastNet(nn.Module):
    """``past`` (B, L, F) → LSTM → last hidden state ⊕ ``extra`` (B, E) → Linear → (B, horizon)."""

    def __init__(self, n_features: int, n_extra: int, hidden: int, horizon: int):
        super().__init__()
        self.lstm = nn.LSTM(n_features, hidden, batch_first=True)
        self.head = nn.Linear(hidden + n_extra, horizon)

    def forward(self, past: torch.Tensor, extra: torch.Tensor) -> torch.Tensor:
        _, (h, _) = self.lstm(past)
        return self.head(torch.cat([h[-1], extra], dim=1))
