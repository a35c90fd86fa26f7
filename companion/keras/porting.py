"""The one way to copy PyTorch weights into Keras: :func:`load_torch` ``(keras_model, torch_model)``.

It dispatches on the PyTorch model: every model of :mod:`companion.torch` (into its Keras twin of
the same name and configuration), and the PyTorch building blocks the chapters compare one by one
(``nn.LSTM``/``nn.GRU``/``nn.RNN`` and the ``Scratch…`` layers, ``nn.MultiheadAttention`` and
:class:`companion.torch.MultiHeadAttention`, ``nn.Linear``, ``nn.Embedding``, ``nn.LayerNorm``,
and an ``nn.Sequential`` of them).

What differs between the two frameworks (and what the copy does about it):

* **Layout.** PyTorch stores ``weight_ih_l0`` as (gates·H, input) and multiplies ``x @ W.T``;
  Keras stores ``kernel`` as (input, gates·H) and multiplies ``x @ kernel``. So
  ``kernel = weight_ih.T`` and ``recurrent_kernel = weight_hh.T``; a ``Dense`` kernel is a
  ``Linear`` weight transposed.
* **LSTM gate order.** PyTorch stacks i, f, g, o; Keras stacks i, f, c, o. Keras's "c" is
  PyTorch's "g" (the candidate cell), so the order is in fact the same and no reordering is needed.
* **LSTM biases.** PyTorch has two bias vectors, ``bias_ih`` and ``bias_hh``, that only enter
  as a sum; Keras has one. ``bias = bias_ih + bias_hh``.
* **GRU gate order.** PyTorch stacks r, z, n; Keras stacks z, r, h. The first two blocks swap.
* **GRU biases.** The candidate uses ``r ⊙ (W_hn h + b_hn)``, so ``b_hn`` cannot be merged into
  ``b_in``. Keras's ``reset_after=True`` (the default) keeps a (2, 3H) bias: row 0 the input
  bias, row 1 the recurrent bias, which is exactly PyTorch's pair.
* **Attention.** ``nn.MultiheadAttention`` packs the query, key and value maps into one
  ``in_proj_weight``; ``keras.layers.MultiHeadAttention`` keeps three kernels shaped
  (E, heads, head_dim) and an output kernel (heads, head_dim, E) (see :mod:`companion.keras.attention`).
* **Click-through models** (chapter 11). Dice's BatchNorm has no scale or shift: its running mean
  and variance are copied as they are (Keras's momentum counts the other way round: 0.9 is 0.1).
* **Convolutions** (Caser). PyTorch's kernel is (out, in, height, width), Keras's
  (height, width, in, out).
"""
from __future__ import annotations

import numpy as np

import companion as _companion  # noqa: F401  (quiet TensorFlow start-up)
import keras

__all__ = ["load_torch"]


def _np(t) -> np.ndarray:
    """A copy of a tensor's values in its own precision (Keras casts to the layer's dtype)."""
    if hasattr(t, "detach"):
        t = t.detach().cpu().numpy()
    return np.array(t)


def _same_name(keras_model, torch_model) -> None:
    if type(keras_model).__name__ != type(torch_model).__name__:
        raise TypeError(f"load_torch: a torch {type(torch_model).__name__} goes into a Keras "
                        f"{type(torch_model).__name__}, got a {type(keras_model).__name__}")


# ----------------------------------------------------------------------------- building blocks
def _layer_weights(layer, k: int):
    """Layer ``k`` of a PyTorch recurrent layer (fused or ``Scratch…``) as PyTorch's stacked
    ``(weight_ih, weight_hh, bias_ih, bias_hh)`` (biases ``None`` when absent)."""
    if hasattr(layer, "cells"):  # a companion Scratch… layer: named gates W_k, U_k, b_k
        cell = layer.cells[k]
        gates = cell.gates
        w_ih = np.concatenate([_np(getattr(cell, f"U_{g}")) for g in gates])
        w_hh = np.concatenate([_np(getattr(cell, f"W_{g}")) for g in gates])
        b_ih = np.concatenate([_np(getattr(cell, f"b_{g}")) for g in gates])
        b_hh = np.zeros_like(b_ih)
        if hasattr(cell, "b_hn"):  # GRU: the recurrent bias of the candidate sits inside r ⊙ (...)
            b_hh[2 * cell.hidden_size:] = _np(cell.b_hn)
        return w_ih, w_hh, b_ih, b_hh
    get = lambda name: getattr(layer, f"{name}_l{k}", None)  # noqa: E731
    b_ih, b_hh = get("bias_ih"), get("bias_hh")
    return (_np(get("weight_ih")), _np(get("weight_hh")), None if b_ih is None else _np(b_ih),
            None if b_hh is None else _np(b_hh))


def _torch_kind(layer) -> str:
    import torch.nn as nn

    from ..torch import rnn as trnn

    for kind, classes in {"lstm": (nn.LSTM, trnn.ScratchLSTM), "gru": (nn.GRU, trnn.ScratchGRU),
                          "rnn": (nn.RNN, trnn.ScratchRNN)}.items():
        if isinstance(layer, classes):
            if getattr(layer, "bidirectional", False) or getattr(layer, "proj_size", 0):
                raise ValueError("bidirectional layers and proj_size > 0 are not supported")
            if getattr(layer, "nonlinearity", "tanh") != "tanh":
                raise ValueError("only the tanh RNN is supported")
            return kind
    raise TypeError(f"not a recurrent layer: {type(layer).__name__}")


def _keras_kind(layer) -> str:
    cell = getattr(layer, "cell", None)
    for kind, cls in (("lstm", keras.layers.LSTMCell), ("gru", keras.layers.GRUCell),
                      ("rnn", keras.layers.SimpleRNNCell)):
        if isinstance(cell, cls):
            return kind
    raise TypeError(f"not a Keras recurrent layer (LSTM, GRU, SimpleRNN or RNN of their cells): "
                    f"{type(layer).__name__}")


def _gru_reorder(a: np.ndarray, H: int) -> np.ndarray:
    """PyTorch's r, z, n blocks (along axis 0) -> Keras's z, r, h."""
    return np.concatenate([a[H:2 * H], a[:H], a[2 * H:]], axis=0)


def _recurrent_layer(keras_layer, torch_layer, k: int = 0) -> None:
    """Layer ``k`` of a PyTorch recurrent layer into one Keras recurrent layer (built here if needed)."""
    kind = _torch_kind(torch_layer)
    if _keras_kind(keras_layer) != kind:
        raise TypeError(f"a torch {kind.upper()} layer cannot go into a Keras {type(keras_layer).__name__}")
    w_ih, w_hh, b_ih, b_hh = _layer_weights(torch_layer, k)
    H = w_hh.shape[1]
    if not keras_layer.built:
        keras_layer.build((None, None, w_ih.shape[1]))
    cell = keras_layer.cell
    if kind == "gru":
        if not cell.reset_after:
            raise ValueError("PyTorch's GRU applies the reset gate after the recurrent product: "
                             "use reset_after=True")
        weights = [_gru_reorder(w_ih, H).T, _gru_reorder(w_hh, H).T]
        if cell.use_bias:
            zeros = np.zeros(3 * H, "float32")
            weights.append(np.stack([_gru_reorder(zeros if b_ih is None else b_ih, H),
                                     _gru_reorder(zeros if b_hh is None else b_hh, H)]))
    else:  # LSTM (same gate order) and tanh RNN: one bias, the sum of PyTorch's two
        weights = [w_ih.T, w_hh.T]
        if cell.use_bias:
            weights.append(np.zeros(w_ih.shape[0], "float32") if b_ih is None else b_ih + b_hh)
    keras_layer.set_weights(weights)


def _recurrent(keras_model, torch_layer) -> None:
    """A PyTorch recurrent layer (all its layers) into a Keras recurrent layer or a model whose
    recurrent layers are, in order, its layers."""
    n = torch_layer.num_layers
    if isinstance(keras_model, keras.layers.RNN):
        targets = [keras_model]
    else:
        targets = [layer for layer in getattr(keras_model, "layers", []) if isinstance(layer, keras.layers.RNN)]
    if len(targets) != n:
        raise ValueError(f"the torch layer has {n} layer(s), the Keras model {len(targets)} recurrent layer(s)")
    for k, layer in enumerate(targets):
        _recurrent_layer(layer, torch_layer, k)


def _dense(layer, linear) -> None:
    if not isinstance(layer, keras.layers.Dense):
        raise TypeError(f"an nn.Linear goes into a keras.layers.Dense, got {type(layer).__name__}")
    if not layer.built:
        layer.build((None, linear.in_features))
    w = [_np(linear.weight).T] + ([_np(linear.bias)] if linear.bias is not None else [])
    layer.set_weights(w)


def _embedding(layer, emb) -> None:
    if not layer.built:
        layer.build((None,))
    layer.set_weights([_np(emb.weight)])


def _layer_norm(layer, norm) -> None:
    if not layer.built:
        layer.build((None, norm.normalized_shape[-1]))
    layer.set_weights([_np(norm.weight), _np(norm.bias)])


def _sequential(keras_model, seq) -> None:
    """An ``nn.Sequential``: its modules with weights, in order, into the Keras layers with weights."""
    sources = [m for m in seq if any(True for _ in m.parameters())]
    targets = [layer for layer in keras_model.layers if layer.weights]
    if len(sources) != len(targets):
        raise ValueError(f"{len(sources)} torch modules with weights, {len(targets)} Keras layers with weights")
    for t, s in zip(targets, sources):
        load_torch(t, s)


def _mha_state(torch_mha) -> dict:
    """q, k, v, out weights (PyTorch layout) of a :class:`companion.torch.MultiHeadAttention`; an
    ``nn.MultiheadAttention`` is first unpacked by :meth:`companion.torch.MultiHeadAttention.from_torch`."""
    import torch.nn as nn

    from ..torch.attention import MultiHeadAttention as TorchMHA

    if isinstance(torch_mha, nn.MultiheadAttention):
        torch_mha = TorchMHA.from_torch(torch_mha)
    s = {k: _np(v) for k, v in torch_mha.state_dict().items()}
    return {"e": torch_mha.embed_dim, "w": [s[f"{n}_proj.weight"] for n in "qkv"],
            "b": [s.get(f"{n}_proj.bias") for n in "qkv"], "wo": s["out_proj.weight"], "bo": s.get("out_proj.bias")}


def _attention(keras_layer, torch_mha) -> None:
    from .attention import MultiHeadAttention

    st = _mha_state(torch_mha)
    e, heads = st["e"], torch_mha.num_heads
    zeros = np.zeros(e, "float32")
    if isinstance(keras_layer, MultiHeadAttention):  # the hand-written twin: four Dense layers
        for dense, w, b in zip((keras_layer.q_proj, keras_layer.k_proj, keras_layer.v_proj, keras_layer.out_proj),
                               st["w"] + [st["wo"]], st["b"] + [st["bo"]]):
            dense.set_weights([w.T] + ([b] if dense.use_bias else []))
        return
    if not isinstance(keras_layer, keras.layers.MultiHeadAttention):
        raise TypeError(f"attention goes into companion.keras.MultiHeadAttention or keras.layers.MultiHeadAttention, "
                        f"got {type(keras_layer).__name__}")
    if keras_layer.num_heads != heads or keras_layer.key_dim * heads != e:
        raise ValueError(f"the Keras layer has {keras_layer.num_heads} heads of {keras_layer.key_dim}, "
                         f"the torch one {heads} heads for embed dim {e}")
    if not keras_layer.built:
        keras_layer.build((None, None, e), (None, None, e))
    d = e // heads
    out = []
    for w, b in zip(st["w"], st["b"]):
        out += [w.T.reshape(e, heads, d), (zeros if b is None else b).reshape(heads, d)]
    out += [st["wo"].T.reshape(heads, d, e), zeros if st["bo"] is None else st["bo"]]
    keras_layer.set_weights(out)


# ----------------------------------------------------------------------------- companion models
def _rnn_rec(km, tm) -> None:  # GRU4Rec, LSTM4Rec
    _same_name(km, tm)
    _embedding(km.item_embedding, tm.item_embedding)
    for k, rnn in enumerate(km.rnns):
        _recurrent_layer(rnn, tm.rnn, k)
    _dense(km.dense, tm.dense)


def _caser(km, tm) -> None:
    _same_name(km, tm)
    _embedding(km.item_embedding, tm.item_embedding)
    conv = lambda c: [_np(c.weight).transpose(2, 3, 1, 0), _np(c.bias)]  # noqa: E731  (out,in,h,w) -> (h,w,in,out)
    km.vertical.set_weights(conv(tm.vertical))
    for k, t in zip(km.horizontal, tm.horizontal):
        k.set_weights(conv(t))
    _dense(km.fc, tm.fc)
    _dense(km.out, tm.out)


def _sasrec(km, tm) -> None:
    _same_name(km, tm)
    if km.config != tm.config:
        raise ValueError(f"configurations differ: {km.config} vs {tm.config}")
    _embedding(km.item_embedding, tm.item_embedding)
    if km.positions == "learned":
        _embedding(km.position_embedding, tm.position_embedding)
    _layer_norm(km.norm, tm.norm)
    for kb, tb in zip(km.blocks, tm.blocks):
        _attention(kb.attn, tb.attn)
        _layer_norm(kb.norm1, tb.norm1)
        _dense(kb.ff1, tb.ff1)
        _dense(kb.ff2, tb.ff2)
        _layer_norm(kb.norm2, tb.norm2)


def _purchase(km, tm) -> None:
    _same_name(km, tm)
    _embedding(km.event_embedding, tm.event_embedding)
    _embedding(km.category_embedding, tm.category_embedding)
    c = tm.cell  # an nn.LSTMCell: same layout as one nn.LSTM layer
    km.lstm.set_weights([_np(c.weight_ih).T, _np(c.weight_hh).T, _np(c.bias_ih) + _np(c.bias_hh)])
    _dense(km.head, tm.head)


def _recurrent_classifier(km, tm) -> None:
    _same_name(km, tm)
    if km.kind != tm.kind:
        raise ValueError(f"kinds differ: Keras {km.kind!r}, torch {tm.kind!r}")
    _recurrent(km, tm.rnn)
    _dense(km.head, tm.head)


def _forecast_net(km, tm) -> None:
    _same_name(km, tm)
    _recurrent_layer(km.lstm, tm.lstm, 0)
    _dense(km.head, tm.head)


def _seq2seq_gru(km, tm) -> None:  # Seq2SeqGRU: embedding, two GRUs, attention maps, output
    from ..torch.seq2seq import AdditiveAttention

    _same_name(km, tm)
    if km.attention_kind != tm.attention_kind:
        raise ValueError(f"attention differs: torch {tm.attention_kind!r}, keras {km.attention_kind!r}")
    for k_layer, t_layer in ((km.embedding, tm.embedding), (km.encoder, tm.encoder), (km.decoder, tm.decoder),
                             (km.out, tm.out)):
        load_torch(k_layer, t_layer)
    if tm.attention is None:
        return
    load_torch(km.combine, tm.combine)
    if isinstance(tm.attention, AdditiveAttention):
        load_torch(km.attention.W_q, tm.attention.W_q)
        load_torch(km.attention.W_k, tm.attention.W_k)
        km.attention.score.set_weights([_np(tm.attention.v)])  # Keras's `scale` is Bahdanau's v
    else:
        load_torch(km.attention.W, tm.attention.W)


def _dqn(km, tm) -> None:
    """A :class:`companion.torch.agents.DQN`: online and target networks."""
    _same_name(km, tm)
    _sequential(km.q, tm.q)
    _sequential(km.target, tm.target)


def _vae(km, tm) -> None:  # MultVAE, MultDAE
    _same_name(km, tm)
    if not km.built:
        km(np.zeros((1, tm.n_items), dtype="float32"))
    for name in ("encoder", "stats", "decoder_hidden", "decoder_out"):
        _dense(getattr(km, name), getattr(tm, name))


def _recurrent_hazard(km, tm) -> None:
    _same_name(km, tm)
    if km.kind != tm.kind or km.n_periods != tm.n_periods:
        raise ValueError(f"configurations differ: Keras {km.kind!r}/{km.n_periods} periods, "
                         f"torch {tm.kind!r}/{tm.n_periods} periods")
    _recurrent_layer(km.rnn, tm.rnn, 0)
    _dense(km.head, tm.head)
def _ctr_mlp(km, tm) -> None:
    """A click-through model's MLP: Dense layers, their PReLU/Dice activations, the output layer."""
    from ..torch.ctr import Dice

    for kd, td, ka, ta in zip(km.dense, tm.dense, km.act, tm.act):
        _dense(kd, td)
        if type(ka).__name__ != type(ta).__name__:
            raise ValueError(f"activations differ: torch {type(ta).__name__}, keras {type(ka).__name__}")
        if isinstance(ta, Dice):  # alpha, and the BatchNorm's running statistics (no scale, no shift)
            ka.alpha.assign(_np(ta.alpha))
            ka.bn.set_weights([_np(ta.bn.running_mean), _np(ta.bn.running_var)])
        else:
            ka.alpha.assign(_np(ta.alpha))
    _dense(km.out, tm.out)


def _ctr(km, tm) -> None:  # EmbeddingMLP, DIN, BST
    from ..torch.ctr import BST, DIN

    _same_name(km, tm)
    _embedding(km.embed.item, tm.embed.item)
    if (tm.embed.features is None) != (km.embed.features is None):
        raise ValueError("one model has item features, the other not")
    if tm.embed.features is not None:
        if not np.allclose(_np(tm.embed.features), km.embed.features):
            raise ValueError("the two models were built with different item_features")
        _dense(km.embed.feature, tm.embed.feature)
    if isinstance(tm, DIN):
        if km.softmax != tm.softmax:
            raise ValueError(f"softmax differs: torch {tm.softmax}, keras {km.softmax}")
        _ctr_mlp(km.attention.mlp, tm.attention.mlp)
    if isinstance(tm, BST):
        if km.max_len != tm.max_len:
            raise ValueError(f"max_len differs: torch {tm.max_len}, keras {km.max_len}")
        _embedding(km.position, tm.position)
        b, t = km.block, tm.block
        _attention(b.attn, t.attn)
        for kl, tl in ((b.norm1, t.norm1), (b.norm2, t.norm2)):
            _layer_norm(kl, tl)
        _dense(b.ff1, t.ff1)
        _dense(b.ff2, t.ff2)
    if getattr(km, "pooling", None) != getattr(tm, "pooling", None):
        raise ValueError(f"pooling differs: torch {getattr(tm, 'pooling', None)}, keras {getattr(km, 'pooling', None)}")
    _ctr_mlp(km.mlp, tm.mlp)


def _rules():
    import torch.nn as nn

    from ..torch import (agents as tagents, attention as tatt, churn as tchurn, ctr as tctr, recommenders as trec,
                         rnn as trnn, sasrec as tsas, seq2seq as ts2s, vae as tvae)

    return [
        ((tctr.EmbeddingMLP, tctr.DIN, tctr.BST), _ctr),
        (tagents.DQN, _dqn),
        (tchurn.RecurrentHazard, _recurrent_hazard),
        (ts2s.Seq2SeqGRU, _seq2seq_gru),
        ((trec.GRU4Rec, trec.LSTM4Rec), _rnn_rec),
        (trec.Caser, _caser),
        (tsas.SASRec, _sasrec),
        (trnn.PurchaseLSTM, _purchase),
        (trnn.RecurrentClassifier, _recurrent_classifier),
        (trnn.LSTMForecastNet, _forecast_net),
        (tvae.MultVAE, _vae),
        ((tatt.MultiHeadAttention, nn.MultiheadAttention), _attention),
        ((nn.LSTM, nn.GRU, nn.RNN, trnn.ScratchLSTM, trnn.ScratchGRU, trnn.ScratchRNN), _recurrent),
        (nn.Linear, _dense),
        (nn.Embedding, _embedding),
        (nn.LayerNorm, _layer_norm),
        (nn.Sequential, _sequential),
    ]


def load_torch(keras_model, torch_model):
    """Copy the weights of ``torch_model`` into ``keras_model`` and return ``keras_model``.

    ``torch_model`` is a model of :mod:`companion.torch` (``keras_model`` is then its Keras twin,
    of the same class name and configuration), or one of the PyTorch building blocks listed in
    the module docstring (``keras_model`` the matching Keras layer; a multi-layer ``nn.LSTM``
    goes into a model whose recurrent layers are, in order, its layers). The copy is by value.
    """
    for classes, copy in _rules():
        if isinstance(torch_model, classes):
            copy(keras_model, torch_model)
            return keras_model
    raise TypeError(f"load_torch does not know how to copy a {type(torch_model).__name__}")
