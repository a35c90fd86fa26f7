"""Source errors of 004 §5.2 (the Transformer encoder-decoder for behaviour prediction), chapter 08.

Each entry's ``correct`` RUNS the source's call (or its smallest faithful version) on PyTorch and
returns the error it raises, followed by the fix; the chapter runs the fixed program
(:class:`companion.torch.Seq2SeqTransformer`, :func:`companion.torch.seq2seq.fit_seq2seq`).
PyTorch is imported inside the functions, so importing this module stays cheap.
"""
from __future__ import annotations

from . import Erratum

CHAPTER = "08_seq2seq"


def _error(call) -> str:
    """Run ``call``; return ``"ExceptionType: first line of its message"`` (or ``"no error"``)."""
    try:
        call()
    except Exception as e:  # noqa: BLE001  (the point is to show whichever error the source's call raises)
        return f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
    return "no error"


def num_layers_in_layer() -> str:
    import torch.nn as nn

    err = _error(lambda: nn.TransformerEncoderLayer(d_model=256, nhead=8, num_layers=6))
    return f"{err} -> nn.TransformerEncoder(nn.TransformerEncoderLayer(256, 8), num_layers=6)"


def ids_without_embedding() -> str:
    import torch
    import torch.nn as nn

    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 2, batch_first=True), 1, enable_nested_tensor=False)
    ids = torch.randint(3, 15, (2, 5))
    err = _error(lambda: enc(ids))
    return f"{err} -> embed first: enc(nn.Embedding(V, 16)(ids) + positions)"


def mask_as_padding() -> str:
    import torch
    import torch.nn as nn

    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 2, batch_first=True), 1, enable_nested_tensor=False)
    x = torch.zeros(2, 5, 16)
    attention_mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]])  # a tokenizer's mask: 1 = keep
    err = _error(lambda: enc(x, mask=attention_mask))
    return f"{err} -> enc(x, src_key_padding_mask=attention_mask == 0)  (True = padding)"


def decoder_without_memory() -> str:
    import torch
    import torch.nn as nn

    dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(16, 2, batch_first=True), 1)
    err = _error(lambda: dec(torch.zeros(2, 5, 16), memory_mask=torch.ones(5, 5, dtype=torch.bool)))
    return (f"{err} -> dec(tgt=embedded [BOS, y_1..y_k-1], memory=encoder outputs, tgt_mask=causal, "
            "memory_key_padding_mask=padding)")


def backward_on_float() -> str:
    import torch
    import torch.nn as nn

    logits = torch.randn(4, 6, requires_grad=True)
    labels = torch.tensor([1, 2, 3, 4])
    loss = 0
    loss += nn.CrossEntropyLoss()(logits, labels).item()  # the source's accumulation
    loss /= 1
    err = _error(lambda: loss.backward())
    return f"{err} -> per batch: zero_grad(); loss = CE(logits, labels); loss.backward(); step(); total += loss.item()"


def logits_attribute() -> str:
    import torch
    import torch.nn as nn

    model = nn.Transformer(16, 2, 1, 1, 32, batch_first=True)
    out = model(torch.zeros(2, 5, 16), torch.zeros(2, 3, 16))
    err = _error(lambda: out.logits)
    return f"{err} -> torch.nn modules return tensors: logits = nn.Linear(d_model, V)(out)"


def own_vocabulary() -> str:
    from ..data.funnel import funnel_vocabulary

    vocab = funnel_vocabulary(4)
    return (f"an own vocabulary, one id per behaviour token: {len(vocab)} ids for 4 categories "
            f"({', '.join(vocab[:4])}, ...), no download; bert-base-uncased has 30,522 word pieces for English text")


def _raises(fn):
    """A check: the source's call raises (its result does not start with "no error")."""
    return lambda: not fn().startswith("no error")


def _vocabulary_is_one_id_per_token() -> bool:
    from ..data.funnel import funnel_vocabulary

    vocab = funnel_vocabulary(4)
    return len(set(vocab)) == len(vocab) < 30_522  # one id per behaviour token, no word pieces


ENTRIES = [
    Erratum("004 §5.2", "seq2seq", "nn.TransformerEncoderLayer(d_model=embed_dim, nhead=8, num_layers=num_layers)",
            "num_layers passed to the layer", num_layers_in_layer,
            "num_layers is an argument of nn.TransformerEncoder (and nn.TransformerDecoder), not of one layer",
            CHAPTER, _raises(num_layers_in_layer)),
    Erratum("004 §5.2", "seq2seq", "self.transformer(input_ids, ...) in Encoder", "token ids into the encoder",
            ids_without_embedding, "a Transformer takes vectors; ids need an embedding (and positions) first",
            CHAPTER, _raises(ids_without_embedding)),
    Erratum("004 §5.2", "seq2seq", "self.transformer(input_ids, mask=attention_mask)", "padding mask as `mask`",
            mask_as_padding, "`mask` is the (L, L) attention mask; padding goes in src_key_padding_mask, with the "
            "opposite convention to a tokenizer's attention_mask", CHAPTER, _raises(mask_as_padding)),
    Erratum("004 §5.2", "seq2seq", "self.transformer(encoder_outputs, memory_mask=attention_mask) in Decoder",
            "decoder without target or memory", decoder_without_memory,
            "nn.TransformerDecoder.forward needs the (shifted) target and the encoder memory", CHAPTER, _raises(decoder_without_memory)),
    Erratum("004 §5.2", "seq2seq", "train_epoch: loss += CE(outputs.logits, labels).item(); loss.backward()",
            "backward on a float, one optimizer step per epoch", backward_on_float,
            ".item() returns a Python float (no graph); the loss must be a tensor, backward per batch", CHAPTER, _raises(backward_on_float)),
    Erratum("004 §5.2", "seq2seq", "outputs.logits", "a Hugging Face output object", logits_attribute,
            "nn.Transformer returns a plain tensor of d_model features, not logits", CHAPTER, _raises(logits_attribute)),
    Erratum("004 §5.2", "seq2seq", "AutoTokenizer.from_pretrained('bert-base-uncased') for behaviour ids",
            "a downloaded text tokenizer", own_vocabulary,
            "behaviour events are not English text; a word-piece tokenizer splits them arbitrarily and needs a "
            "network download", CHAPTER, _vocabulary_is_one_id_per_token),
]
