"""Source 003's PyTorch code for user representations (§5.2, with the models of §3.3): what fails when
it is run, and what would be learned if it ran. Chapter 06 (next-item recommendation) does the task
properly: ids through an embedding, next-item targets, evaluation on held-out users' items.
"""
from __future__ import annotations

import numpy as np

from . import Erratum
from ._compute import raises, undefined

CHAPTER = "06_next_item_rnn"

BEHAVIOR_MAP = {"browse": 0, "search": 1, "buy": 2, "review": 3}

#: Source 003 §3.3's Transformer model, as printed.
TRANSFORMER_CODE = """\\
class TransformerModel(nn.Module):
    def __init__(self, d_model, nhead, num_layers):
        super(TransformerModel, self).__init__()
        self.transformer = nn.Transformer(d_model, nhead, num_layers)
        self.d_model = d_model
        self.linear = nn.Linear(d_model, output_size)

    def forward(self, x):
        out = self.transformer(x)
        out = self.linear(out.mean(1))
        return out
"""


def _map_applied_twice() -> bool:
    """data['behavior'] is mapped to integers first; the training loop maps those integers again with
    behavior_map[behavior], whose keys are strings: KeyError."""
    encoded = [BEHAVIOR_MAP[b] for b in ["browse", "buy", "review"]]
    return raises(lambda: [BEHAVIOR_MAP[b] for b in encoded], KeyError)


def _ids_into_rnn() -> bool:
    """torch.tensor(ids).view(-1, 1) is an integer (L, 1) tensor; nn.RNN(input_size=4, 128) needs float
    inputs with 4 features (a one-hot or an embedding): it raises."""
    import torch

    rnn = torch.nn.RNN(4, 128)
    x = torch.tensor([0, 2, 3]).view(-1, 1)
    return raises(lambda: rnn(x), RuntimeError, ValueError, TypeError)


def _one_class_targets() -> bool:
    """target = [1] * len(sequence) for every user: one class only, so nothing is learned but "always 1",
    and ROC-AUC is undefined (scikit-learn refuses it or returns nan)."""
    import warnings

    from sklearn.metrics import roc_auc_score

    y = np.ones(6, dtype=int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # recent scikit-learn warns and returns nan instead of raising
        try:
            return bool(np.isnan(roc_auc_score(y, np.linspace(0, 1, 6))))
        except ValueError:
            return True


def _transformer_code_errors() -> bool:
    """output_size is never defined in TransformerModel; nn.Transformer.forward needs src and tgt."""
    import inspect

    import torch

    params = inspect.signature(torch.nn.Transformer.forward).parameters
    return ("output_size" in undefined(TRANSFORMER_CODE)
            and params["tgt"].default is inspect.Parameter.empty)


ENTRIES = [
    Erratum("003 §5.2", "representation", "inputs = torch.tensor([behavior_map[behavior] for behavior in sequence])",
            "behavior_map applied to already-encoded integers",
            lambda: "map once (data['behavior'].map(behavior_map)) and use the integer ids as they are",
            "the column was mapped to 0..3 before; mapping the integers again with a string-keyed dict "
            "raises KeyError", CHAPTER, check=_map_applied_twice),
    Erratum("003 §5.2", "representation", "model = RNNModel(input_size=4, ...); model(inputs.view(-1, 1))",
            "integer ids fed to nn.RNN(4, 128)",
            lambda: "nn.Embedding(4, d) (or a one-hot of size 4) in front of nn.RNN(d, 128, batch_first=True), "
                    "inputs shaped (batch, time)",
            "an RNN reads float vectors of input_size features; an (L, 1) integer tensor is neither", CHAPTER,
            check=_ids_into_rnn),
    Erratum("003 §5.2", "representation", "target = torch.tensor([1] * len(sequence)); test on `sequences`",
            "every target is 1; the test loop scores the training sequences",
            lambda: "a label that varies (e.g. the next item, or a later purchase), a loss on the last output, "
                    "float targets for BCEWithLogitsLoss, and evaluation on held-out users",
            "with one class there is nothing to learn but 'always 1' (ROC-AUC is undefined), the target's "
            "shape (L, 1) does not match the (1, 1) output, and scoring training data measures memory",
            CHAPTER, check=_one_class_targets),
    Erratum("003 §3.3", "representation", "TransformerModel: nn.Linear(d_model, output_size); self.transformer(x)",
            "undefined output_size; nn.Transformer called with one input",
            lambda: "pass output_size to __init__; for an encoder over behaviours use "
                    "nn.TransformerEncoder(nn.TransformerEncoderLayer(d_model, nhead, batch_first=True), "
                    "num_layers) on embedded ids",
            "NameError at construction; nn.Transformer is an encoder-decoder whose forward needs src and tgt",
            CHAPTER, check=_transformer_code_errors),
]
