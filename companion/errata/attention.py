"""Source errors about attention and Transformers (chapter 07: attention and SASRec).

The worked example of 003 §4.2.3 (the formula is in §4.1.3) uses one query
q = [0.1, 0.2, 0.3], one key k = [0.4, 0.5, 0.6] and values [0.7, 0.8, 0.9], d_k = 3.
It multiplies q and k element-wise instead of taking their dot product, normalises the
three products by their sum instead of with the exponential softmax, leaves out the
1/√d_k of its own formula, and multiplies the weights with the values element-wise
instead of summing them. Framework-neutral (NumPy only).
"""
from __future__ import annotations

import numpy as np

from . import Erratum

Q = np.array([0.1, 0.2, 0.3])
K = np.array([0.4, 0.5, 0.6])
V = np.array([0.7, 0.8, 0.9])
PRINTED_SCORES = np.array([0.04, 0.1, 0.18])  # the source's element-wise "QKᵀ"


def softmax(x) -> np.ndarray:
    """exp(x_i) / Σ_j exp(x_j), computed stably."""
    x = np.asarray(x, dtype=float)
    e = np.exp(x - x.max())
    return e / e.sum()


def dot_score() -> float:
    """q·k = 0.1·0.4 + 0.2·0.5 + 0.3·0.6 = 0.32: ONE score for one (query, key) pair."""
    return float(Q @ K)


def softmax_of_printed_scores() -> np.ndarray:
    """softmax([0.04, 0.1, 0.18]) with the exponential: [0.311, 0.331, 0.358]."""
    return softmax(PRINTED_SCORES)


def weighted_sum_of_values() -> float:
    """Σ_i α_i v_i with α = softmax([0.04, 0.1, 0.18]): a weighted sum (0.805), not [α_i v_i]."""
    return float(softmax_of_printed_scores() @ V)


def scaled_softmax_of_printed_scores() -> np.ndarray:
    """With the 1/√d_k of the source's own formula (d_k = 3): softmax([0.04, 0.1, 0.18] / √3)."""
    return softmax(PRINTED_SCORES / np.sqrt(3.0))


_CH = "07_attention_sasrec"


# Checks of the non-numeric entries: each returns True when a computation shows the source wrong.
# They import PyTorch or Keras, the libraries whose API the sources misuse, when called.

def _scaling_changes_weights() -> bool:
    """Dividing by √3 before the softmax changes the weights by more than the printed rounding."""
    return not np.allclose(scaled_softmax_of_printed_scores(), softmax_of_printed_scores(), atol=5e-4)


def _needs_two_inputs() -> bool:
    """nn.Transformer.forward requires a source AND a target: an encoder-decoder, not an autoencoder
    (which maps one input to a reconstruction of itself)."""
    import inspect

    import torch

    params = inspect.signature(torch.nn.Transformer.forward).parameters
    return all(params[p].default is inspect.Parameter.empty for p in ("src", "tgt"))


def _one_vector_per_position() -> bool:
    """A Transformer encoder maps T = 5 inputs to 5 vectors, not to one fixed-length h."""
    import torch

    torch.manual_seed(0)
    enc = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 1)
    return tuple(enc.eval()(torch.randn(2, 5, 8)).shape) == (2, 5, 8)


def _decoder_reads_encoder() -> bool:
    """With the decoder's inputs fixed, changing the encoder states (memory) changes the decoder's
    output: cross-attention averages encoder states (if it averaged decoder inputs, nothing would move)."""
    import torch

    torch.manual_seed(0)
    dec = torch.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, batch_first=True).eval()
    tgt, mem = torch.randn(1, 3, 8), torch.randn(1, 4, 8)
    with torch.no_grad():
        return not torch.allclose(dec(tgt, mem), dec(tgt, mem + 1.0))


def _layer_rejects_num_layers() -> bool:
    import torch

    from ._compute import raises

    return raises(lambda: torch.nn.TransformerEncoderLayer(16, nhead=8, num_layers=2), TypeError)


def _ids_need_embedding() -> bool:
    """Integer ids fed straight into the encoder fail (it needs float vectors of size d_model)."""
    import torch

    from ._compute import raises

    enc = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 1)
    return raises(lambda: enc(torch.tensor([[3, 1, 4]])), RuntimeError, AssertionError, TypeError, ValueError)


def _decoder_needs_tgt_and_memory() -> bool:
    import inspect

    import torch

    params = inspect.signature(torch.nn.TransformerDecoder.forward).parameters
    return all(params[p].default is inspect.Parameter.empty for p in ("tgt", "memory"))


def _float_has_no_backward() -> bool:
    """loss.item() is a Python float: it has no .backward()."""
    import torch

    x = torch.tensor(2.0, requires_grad=True)
    return isinstance((x * x).item(), float) and not hasattr((x * x).item(), "backward")


def _no_logits_attribute() -> bool:
    """nn.TransformerEncoder returns a plain tensor: there is no outputs.logits."""
    import torch

    enc = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 1)
    out = enc(torch.randn(1, 3, 8))
    return type(out) is torch.Tensor and not hasattr(out, "logits")


def _seq2seq_is_architecture() -> bool:
    """An RNN encoder-decoder (Sutskever et al. 2014) computes no attention weights: its decoder sees
    only the encoder's last state, so changing an early encoder output while the final state is kept
    changes nothing. Here: a decoder fed only the last state ignores an edit of the first encoder output."""
    rng = np.random.default_rng(0)
    enc_outputs = rng.normal(size=(5, 4))
    edited = enc_outputs.copy()
    edited[0] += 10.0

    def decode(outs):  # the fixed-context decoder reads the last state only
        return np.tanh(outs[-1])

    def attend(outs):  # attention reads every encoder output
        return softmax(outs @ outs[-1]) @ outs

    return np.allclose(decode(enc_outputs), decode(edited)) and not np.allclose(attend(enc_outputs), attend(edited))


def _no_self_attention_model() -> bool:
    import keras

    return (not any(hasattr(m, "SelfAttentionModel") for m in (keras, keras.layers, keras.models))
            and hasattr(keras.layers, "MultiHeadAttention"))

ENTRIES = [
    Erratum("003 §4.2.3", "attention", "QKᵀ for q = [0.1, 0.2, 0.3], k = [0.4, 0.5, 0.6]",
            [0.04, 0.1, 0.18], dot_score,
            "element-wise product instead of the dot product; one query and one key give one score, q·k = 0.32",
            _CH),
    Erratum("003 §4.2.3", "attention", "softmax([0.04, 0.1, 0.18])",
            [0.125, 0.312, 0.5625], softmax_of_printed_scores,
            "x_i / Σx (and 0.1/0.32 = 0.3125) instead of exp(x_i) / Σ exp(x_j)", _CH),
    Erratum("003 §4.2.3", "attention", "Attention output with weights α and values [0.7, 0.8, 0.9]",
            [0.0875, 0.252, 0.50625], weighted_sum_of_values,
            "element-wise α_i·v_i (0.312·0.8 is 0.2496, not 0.252) instead of the weighted sum Σ α_i v_i "
            "(with the exponential softmax of the printed scores)", _CH),
    Erratum("003 §4.2.3", "attention", "scaling by √d_k (d_k = 3) in softmax(QKᵀ/√d_k)",
            "left out", scaled_softmax_of_printed_scores,
            "the source's own formula divides the scores by √d_k before the softmax; the example skips it", _CH,
            check=_scaling_changes_weights),
    Erratum("004 §4.2", "attention", "\"the Transformer model is at its core an autoencoder (自编码模型)\"",
            "autoencoder",
            lambda: "an encoder-decoder (sequence-to-sequence) model whose decoder is autoregressive: it "
                    "predicts y_t from y_<t and the encoder states; an autoencoder reconstructs its own input",
            "confuses encoder-decoder with autoencoder (the source itself contrasts autoregressive and "
            "autoencoding models in §2)", _CH, check=_needs_two_inputs),
    Erratum("004 §4.2", "attention", "\"the encoder turns X into a fixed-length vector h\"",
            "fixed-length vector h",
            lambda: "one vector per input position, h_1..h_T; the decoder attends over all of them",
            "the fixed-length bottleneck belongs to RNN seq2seq (Sutskever et al. 2014); attention was "
                    "introduced to remove it", _CH, check=_one_vector_per_position),
    Erratum("004 §4.2", "attention", "Attention(h, y) = Σ_t α_t y_t, \"y_t the decoder's input sequence\"",
            "Σ_t α_t y_t over decoder inputs",
            lambda: "c_t = Σ_s α_{t,s} h_s with α_{t,·} = softmax_s(q_t·k_s/√d): queries from the decoder, "
                    "keys and values from the ENCODER states",
            "encoder-decoder (cross-)attention averages encoder states, not decoder inputs; the source also "
            "calls it self-attention", _CH, check=_decoder_reads_encoder),
    Erratum("004 §5.2", "attention", "nn.TransformerEncoderLayer(d_model, nhead=8, num_layers=...)",
            "num_layers passed to the layer",
            lambda: "nn.TransformerEncoderLayer(d_model, nhead) — num_layers belongs to nn.TransformerEncoder "
                    "(TypeError otherwise); the same for the decoder layer",
            "invalid keyword argument", _CH, check=_layer_rejects_num_layers),
    Erratum("004 §5.2", "attention", "self.transformer(input_ids, mask=attention_mask)",
            "integer ids and a padding mask as `mask`",
            lambda: "embed the ids first (nn.Embedding + positions); pass padding as src_key_padding_mask "
                    "(True = padding, the opposite of a tokenizer's attention_mask where 1 = keep)",
            "the Transformer needs vectors, and `mask` is the (L, L) attention mask, not the padding mask", _CH,
            check=_ids_need_embedding),
    Erratum("004 §5.2", "attention", "self.transformer(encoder_outputs, memory_mask=attention_mask) in Decoder",
            "decoder called without target and memory",
            lambda: "decoder(tgt=embedded shifted targets, memory=encoder_outputs, tgt_mask=causal mask, "
                    "memory_key_padding_mask=padding)",
            "nn.TransformerDecoder.forward needs both tgt and memory; encoder outputs were passed as tgt", _CH,
            check=_decoder_needs_tgt_and_memory),
    Erratum("004 §5.2", "attention", "train_epoch: loss += CE(...).item(); ...; loss.backward() once per epoch",
            "backward on a float sum",
            lambda: "per batch: optimizer.zero_grad(); loss = CE(logits, labels); loss.backward(); "
                    "optimizer.step(); total += loss.item()",
            ".item() detaches the loss (a float has no backward) and the optimizer would step once per epoch",
            _CH, check=_float_has_no_backward),
    Erratum("004 §5.2", "attention", "outputs.logits and AutoTokenizer('bert-base-uncased') for behaviour ids",
            "Hugging Face output object and a text tokenizer",
            lambda: "nn.Transformer* modules return plain tensors; behaviour ids need their own vocabulary "
                    "(an id per item), not a downloaded word-piece tokenizer",
            "mixes the transformers library's API with torch.nn modules", _CH, check=_no_logits_attribute),
    Erratum("001 §4.3", "attention", "\"two common attention mechanisms: Seq2Seq and self-attention\"",
            "Seq2Seq is an attention mechanism",
            lambda: "Seq2Seq is an encoder-decoder architecture (with or without attention); additive/"
                    "dot-product encoder-decoder attention and self-attention are attention mechanisms",
            "architecture confused with mechanism", _CH, check=_seq2seq_is_architecture),
    Erratum("001 §4.3", "attention", "model = SelfAttentionModel(input_shape=(timesteps, features))",
            "SelfAttentionModel",
            lambda: "no such Keras class: build it from keras.layers.MultiHeadAttention (companion.keras.SASRec)",
            "pseudo-code presented as code", _CH, check=_no_self_attention_model),
]
