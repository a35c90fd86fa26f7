"""Sequence-to-sequence models in Keras 3, the mirror of :mod:`companion.torch.seq2seq` (same names,
same arguments). ``Seq2SeqGRU`` uses Keras's own attention layers where PyTorch writes the
equations out: ``additive`` is ``Dense(W_q)``, ``Dense(W_k)`` and ``keras.layers.AdditiveAttention
(use_scale=True)`` (its ``scale`` is Bahdanau's ``v``); ``multiplicative`` is ``Dense(W)`` on the
query and ``keras.layers.Attention`` (dot scores). :func:`companion.keras.load_torch` copies a
PyTorch ``Seq2SeqGRU`` in, and the two then compute the same logits (the tests check it).
``Seq2SeqTransformer`` is built from ``keras.layers.MultiHeadAttention`` in ``nn.Transformer``'s
post-norm layout (with its final encoder and decoder ``LayerNorm``). Models take
``[src, tgt_in]`` and return logits (B, k, V).
"""
from __future__ import annotations

import warnings

import numpy as np

import companion as _companion  # noqa: F401  (quiet TensorFlow start-up)
import keras
from keras import ops

from .._checks import check_int, check_seq2seq_gru
from .training import fit

__all__ = ["AdditiveAttention", "MultiplicativeAttention", "Seq2SeqGRU", "Seq2SeqTransformer", "fit_seq2seq",
           "seq2seq_loss", "step_function", "teacher_forced_log_probs"]


class AdditiveAttention(keras.layers.Layer):
    """``Dense(W_q)``, ``Dense(W_k)`` (no biases) and ``keras.layers.AdditiveAttention(use_scale=True)``:
    ``e_{t,s} = vᵀ tanh(W_q q_t + W_k k_s)``. ``call(query, keys, values, key_padding_mask)``
    returns ``(context, weights)``, as the PyTorch layer."""

    def __init__(self, query_dim: int, key_dim: int, attention_dim: int, **kwargs):
        super().__init__(**kwargs)
        self.W_q = keras.layers.Dense(attention_dim, use_bias=False, name="W_q")
        self.W_k = keras.layers.Dense(attention_dim, use_bias=False, name="W_k")
        self.score = keras.layers.AdditiveAttention(use_scale=True, name="additive")
        self.W_q.build((None, None, query_dim))
        self.W_k.build((None, None, key_dim))
        self.score.build([(None, None, attention_dim), (None, None, key_dim), (None, None, attention_dim)])

    def call(self, query, keys, values=None, key_padding_mask=None):
        values = keys if values is None else values
        mask = None if key_padding_mask is None else [None, ops.logical_not(key_padding_mask)]
        return self.score([self.W_q(query), values, self.W_k(keys)], mask=mask, return_attention_scores=True)


class MultiplicativeAttention(keras.layers.Layer):
    """``Dense(W)`` (no bias) on the query and ``keras.layers.Attention`` (dot): ``e_{t,s} = (W q_t)ᵀ k_s``."""

    def __init__(self, query_dim: int, key_dim: int, **kwargs):
        super().__init__(**kwargs)
        self.W = keras.layers.Dense(key_dim, use_bias=False, name="W")
        self.score = keras.layers.Attention(name="dot")
        self.W.build((None, None, query_dim))

    def call(self, query, keys, values=None, key_padding_mask=None):
        values = keys if values is None else values
        mask = None if key_padding_mask is None else [None, ops.logical_not(key_padding_mask)]
        return self.score([self.W(query), values, keys], mask=mask, return_attention_scores=True)


class Seq2SeqGRU(keras.Model):
    """GRU encoder-decoder with optional attention (see :class:`companion.torch.Seq2SeqGRU`)."""

    def __init__(self, vocab_size: int, embedding_dim: int = 32, hidden_size: int = 64,
                 attention: str | None = None, dropout: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        check_seq2seq_gru(vocab_size, embedding_dim, hidden_size, dropout, attention)
        self.vocab_size, self.hidden_size, self.attention_kind = vocab_size, hidden_size, attention
        self.embedding = keras.layers.Embedding(vocab_size, embedding_dim, name="embedding")
        self.encoder = keras.layers.GRU(hidden_size, return_sequences=True, return_state=True, reset_after=True,
                                        name="encoder")
        self.decoder = keras.layers.GRU(hidden_size, return_sequences=True, return_state=True, reset_after=True,
                                        name="decoder")
        self.drop = keras.layers.Dropout(dropout)
        if attention == "additive":
            self.attention = AdditiveAttention(hidden_size, hidden_size, hidden_size, name="attention")
        elif attention == "multiplicative":
            self.attention = MultiplicativeAttention(hidden_size, hidden_size, name="attention")
        else:
            self.attention = None
        if attention:
            self.combine = keras.layers.Dense(hidden_size, activation="tanh", name="combine")
            self.combine.build((None, None, 2 * hidden_size))
        self.out = keras.layers.Dense(vocab_size, name="out")
        self.embedding.build((None, None))
        self.encoder.build((None, None, embedding_dim))
        self.decoder.build((None, None, embedding_dim))
        self.out.build((None, None, hidden_size))
        self.built = True

    def _embed(self, x, training):
        x = ops.convert_to_tensor(x, dtype="int32")
        return self.drop(self.embedding(x) * ops.expand_dims(ops.cast(x > 0, "float32"), -1), training=training)

    def encode(self, src, training=False):
        """``(memory (B, L, H), h (B, H), padding (B, L))``."""
        src = ops.convert_to_tensor(src, dtype="int32")
        memory, h = self.encoder(self._embed(src, training), training=training)
        return memory, h, ops.equal(src, 0)

    def decode(self, tgt_in, memory, h, padding, training=False):
        s, h = self.decoder(self._embed(tgt_in, training), initial_state=h, training=training)
        weights = None
        if self.attention is not None:
            c, weights = self.attention(s, memory, memory, key_padding_mask=padding)
            s = self.combine(ops.concatenate([s, c], axis=-1))
        return self.out(self.drop(s, training=training)), h, weights

    def call(self, inputs, training=False):
        src, tgt_in = inputs
        memory, h, padding = self.encode(src, training=training)
        return self.decode(tgt_in, memory, h, padding, training=training)[0]


class _EncoderLayer(keras.layers.Layer):
    def __init__(self, d_model, nhead, dim_feedforward, dropout, **kwargs):
        super().__init__(**kwargs)
        self.attn = keras.layers.MultiHeadAttention(nhead, d_model // nhead, dropout=dropout)
        self.ff1, self.ff2 = keras.layers.Dense(dim_feedforward, activation="relu"), keras.layers.Dense(d_model)
        self.norm1, self.norm2 = keras.layers.LayerNormalization(epsilon=1e-5), keras.layers.LayerNormalization(epsilon=1e-5)
        self.drop = keras.layers.Dropout(dropout)

    def call(self, x, mask, training=False):
        x = self.norm1(x + self.drop(self.attn(x, x, attention_mask=mask, training=training), training=training))
        return self.norm2(x + self.drop(self.ff2(self.drop(self.ff1(x), training=training)), training=training))


class _DecoderLayer(keras.layers.Layer):
    def __init__(self, d_model, nhead, dim_feedforward, dropout, **kwargs):
        super().__init__(**kwargs)
        self.self_attn = keras.layers.MultiHeadAttention(nhead, d_model // nhead, dropout=dropout)
        self.cross_attn = keras.layers.MultiHeadAttention(nhead, d_model // nhead, dropout=dropout)
        self.ff1, self.ff2 = keras.layers.Dense(dim_feedforward, activation="relu"), keras.layers.Dense(d_model)
        self.norms = [keras.layers.LayerNormalization(epsilon=1e-5) for _ in range(3)]
        self.drop = keras.layers.Dropout(dropout)

    def call(self, y, memory, cross_mask, training=False):
        y = self.norms[0](y + self.drop(self.self_attn(y, y, use_causal_mask=True, training=training), training=training))
        y = self.norms[1](y + self.drop(self.cross_attn(y, memory, attention_mask=cross_mask, training=training),
                                        training=training))
        return self.norms[2](y + self.drop(self.ff2(self.drop(self.ff1(y), training=training)), training=training))


class Seq2SeqTransformer(keras.Model):
    """Transformer encoder-decoder (see :class:`companion.torch.Seq2SeqTransformer`)."""

    def __init__(self, vocab_size: int, d_model: int = 32, nhead: int = 2, num_layers: int = 1,
                 dim_feedforward: int = 64, dropout: float = 0.1, max_len: int = 64, **kwargs):
        super().__init__(**kwargs)
        check_int("vocab_size", vocab_size, 4)
        check_int("max_len", max_len)
        if d_model % nhead:
            raise ValueError(f"d_model ({d_model}) must be divisible by nhead ({nhead})")
        self.vocab_size, self.max_len = vocab_size, max_len
        self.embedding = keras.layers.Embedding(vocab_size, d_model)
        self.src_position = keras.layers.Embedding(max_len, d_model)
        self.tgt_position = keras.layers.Embedding(max_len, d_model)
        self.enc = [_EncoderLayer(d_model, nhead, dim_feedforward, dropout, name=f"encoder_{i}")
                    for i in range(num_layers)]
        self.dec = [_DecoderLayer(d_model, nhead, dim_feedforward, dropout, name=f"decoder_{i}")
                    for i in range(num_layers)]
        self.enc_norm = keras.layers.LayerNormalization(epsilon=1e-5)
        self.dec_norm = keras.layers.LayerNormalization(epsilon=1e-5)
        self.drop = keras.layers.Dropout(dropout)
        self.out = keras.layers.Dense(vocab_size)
        self([np.ones((1, 2), "int32"), np.ones((1, 2), "int32")])  # create the weights (marks the model built)

    def _embed(self, x, position, training):
        x = ops.convert_to_tensor(x, dtype="int32")
        if x.shape[1] is not None and x.shape[1] > self.max_len:
            raise ValueError(f"sequence of length {x.shape[1]} is longer than max_len={self.max_len}")
        return self.drop(self.embedding(x) + position(ops.arange(ops.shape(x)[1])), training=training)

    def encode(self, src, training=False):
        src = ops.convert_to_tensor(src, dtype="int32")
        keep = ops.not_equal(src, 0)
        mask = ops.repeat(ops.expand_dims(keep, 1), ops.shape(src)[1], axis=1)  # query i may see key j if j is real
        x = self._embed(src, self.src_position, training)
        for layer in self.enc:
            x = layer(x, mask, training=training)
        return self.enc_norm(x), None, ops.logical_not(keep)

    def decode(self, tgt_in, memory, h, padding, training=False):
        tgt_in = ops.convert_to_tensor(tgt_in, dtype="int32")
        y = self._embed(tgt_in, self.tgt_position, training)
        keep = ops.logical_not(ops.convert_to_tensor(padding))
        cross = ops.repeat(ops.expand_dims(keep, 1), ops.shape(tgt_in)[1], axis=1)
        with warnings.catch_warnings():  # a one-token prefix (the first decoding step) has one key: a softmax of size 1
            warnings.filterwarnings("ignore", message="You are using a softmax over axis")
            for layer in self.dec:
                y = layer(y, memory, cross, training=training)
        return self.out(self.dec_norm(y)), None, None

    def call(self, inputs, training=False):
        src, tgt_in = inputs
        memory, _, padding = self.encode(src, training=training)
        return self.decode(tgt_in, memory, None, padding, training=training)[0]


def seq2seq_loss():
    """Keras's teacher-forced cross-entropy: sparse categorical cross-entropy from logits, averaged
    over the ``B·k`` targets (the PyTorch ``seq2seq_loss`` follows torch's ``loss_fn(model, batch)``)."""
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def teacher_forced_log_probs(model, src, tgt_in, batch_size: int = 1024) -> np.ndarray:
    """``log p(· | y_<t, x)`` for every position under teacher forcing, (n, k, V) float64."""
    out = []
    for s in range(0, len(src), batch_size):
        logits = ops.convert_to_numpy(model([src[s:s + batch_size], tgt_in[s:s + batch_size]], training=False))
        logits = logits.astype(np.float64)
        out.append(logits - np.logaddexp.reduce(logits, axis=-1, keepdims=True))
    return np.concatenate(out)


def _log_softmax(x):
    x = np.asarray(x, dtype=np.float64)
    return x - np.logaddexp.reduce(x, axis=-1, keepdims=True)


def step_function(model, src):
    """``(step, state)`` for :mod:`companion.decoding` (see the PyTorch twin); states are NumPy."""
    memory, h, padding = (None if t is None else ops.convert_to_numpy(t) for t in model.encode(src))
    n = memory.shape[0]
    rows = np.arange(n)
    if isinstance(model, Seq2SeqGRU):
        def step(tokens, state):
            r, hid = state
            logits, h_new, _ = model.decode(np.asarray(tokens)[:, None], memory[r], hid, padding[r])
            return _log_softmax(ops.convert_to_numpy(logits)[:, -1]), (r, ops.convert_to_numpy(h_new))

        return step, (rows, h)

    def step(tokens, state):
        r, prefix = state
        prefix = np.concatenate([prefix, np.asarray(tokens, dtype=np.int64)[:, None]], axis=1)
        logits = model.decode(prefix, memory[r], None, padding[r])[0]
        return _log_softmax(ops.convert_to_numpy(logits)[:, -1]), (r, prefix)

    return step, (rows, np.zeros((n, 0), dtype=np.int64))


def fit_seq2seq(model, train, valid, *, epochs: int = 10, lr: float = 3e-3, batch_size: int = 256,
                patience: int | None = 3, seed: int = 0, loss=None, progress: bool = False):
    """Train with teacher forcing (see the PyTorch twin; ``loss`` defaults to :func:`seq2seq_loss`),
    early-stopping on the validation log-likelihood per token. Returns the History."""
    from ..data import batch_stream

    src, (tgt_in, tgt_out) = train.src, train.decoder_io()
    v_in, v_out = valid.decoder_io()
    stream = batch_stream(src, tgt_in, tgt_out, batch_size=batch_size, seed=seed)

    def evaluate(m):
        lp = teacher_forced_log_probs(m, valid.src, v_in)
        return float(np.take_along_axis(lp, v_out[..., None], -1).mean())

    return fit(model, lambda: (((s, ti), to) for s, ti, to in stream()), loss or seq2seq_loss(),
               evaluate=evaluate, epochs=epochs, lr=lr, patience=patience, metric="valid_loglik", progress=progress)
