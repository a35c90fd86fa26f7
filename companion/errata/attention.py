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
            "the source's own formula divides the scores by √d_k before the softmax; the example skips it", _CH),
    Erratum("004 §4.2", "attention", "\"the Transformer model is at its core an autoencoder (自编码模型)\"",
            "autoencoder",
            lambda: "an encoder-decoder (sequence-to-sequence) model whose decoder is autoregressive: it "
                    "predicts y_t from y_<t and the encoder states; an autoencoder reconstructs its own input",
            "confuses encoder-decoder with autoencoder (the source itself contrasts autoregressive and "
            "autoencoding models in §2)", _CH),
    Erratum("004 §4.2", "attention", "\"the encoder turns X into a fixed-length vector h\"",
            "fixed-length vector h",
            lambda: "one vector per input position, h_1..h_T; the decoder attends over all of them",
            "the fixed-length bottleneck belongs to RNN seq2seq (Sutskever et al. 2014); attention was "
                    "introduced to remove it", _CH),
    Erratum("004 §4.2", "attention", "Attention(h, y) = Σ_t α_t y_t, \"y_t the decoder's input sequence\"",
            "Σ_t α_t y_t over decoder inputs",
            lambda: "c_t = Σ_s α_{t,s} h_s with α_{t,·} = softmax_s(q_t·k_s/√d): queries from the decoder, "
                    "keys and values from the ENCODER states",
            "encoder-decoder (cross-)attention averages encoder states, not decoder inputs; the source also "
            "calls it self-attention", _CH),
    Erratum("004 §5.2", "attention", "nn.TransformerEncoderLayer(d_model, nhead=8, num_layers=...)",
            "num_layers passed to the layer",
            lambda: "nn.TransformerEncoderLayer(d_model, nhead) — num_layers belongs to nn.TransformerEncoder "
                    "(TypeError otherwise); the same for the decoder layer",
            "invalid keyword argument", _CH),
    Erratum("004 §5.2", "attention", "self.transformer(input_ids, mask=attention_mask)",
            "integer ids and a padding mask as `mask`",
            lambda: "embed the ids first (nn.Embedding + positions); pass padding as src_key_padding_mask "
                    "(True = padding, the opposite of a tokenizer's attention_mask where 1 = keep)",
            "the Transformer needs vectors, and `mask` is the (L, L) attention mask, not the padding mask", _CH),
    Erratum("004 §5.2", "attention", "self.transformer(encoder_outputs, memory_mask=attention_mask) in Decoder",
            "decoder called without target and memory",
            lambda: "decoder(tgt=embedded shifted targets, memory=encoder_outputs, tgt_mask=causal mask, "
                    "memory_key_padding_mask=padding)",
            "nn.TransformerDecoder.forward needs both tgt and memory; encoder outputs were passed as tgt", _CH),
    Erratum("004 §5.2", "attention", "train_epoch: loss += CE(...).item(); ...; loss.backward() once per epoch",
            "backward on a float sum",
            lambda: "per batch: optimizer.zero_grad(); loss = CE(logits, labels); loss.backward(); "
                    "optimizer.step(); total += loss.item()",
            ".item() detaches the loss (a float has no backward) and the optimizer would step once per epoch",
            _CH),
    Erratum("004 §5.2", "attention", "outputs.logits and AutoTokenizer('bert-base-uncased') for behaviour ids",
            "Hugging Face output object and a text tokenizer",
            lambda: "nn.Transformer* modules return plain tensors; behaviour ids need their own vocabulary "
                    "(an id per item), not a downloaded word-piece tokenizer",
            "mixes the transformers library's API with torch.nn modules", _CH),
    Erratum("001 §4.3", "attention", "\"two common attention mechanisms: Seq2Seq and self-attention\"",
            "Seq2Seq is an attention mechanism",
            lambda: "Seq2Seq is an encoder-decoder architecture (with or without attention); additive/"
                    "dot-product encoder-decoder attention and self-attention are attention mechanisms",
            "architecture confused with mechanism", _CH),
    Erratum("001 §4.3", "attention", "model = SelfAttentionModel(input_shape=(timesteps, features))",
            "SelfAttentionModel",
            lambda: "no such Keras class: build it from keras.layers.MultiHeadAttention (companion.keras.SASRec)",
            "pseudo-code presented as code", _CH),
]
