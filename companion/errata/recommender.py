"""Source errors about next-item recommendation (chapter 06: next-item recommendation with RNNs).

Source 000 §5.2 presents an "LSTM recommender" in PyTorch (and repeats the same block
about ten times). It does not run, and if its crashes were patched it still would not be a
recommender: it feeds event-type strings, asks the model to reproduce its own input, and
scores accuracy on the training data. :func:`corrected_lstm_recommender` is the running
version the chapter uses. Framework-neutral text (the code lives in the notebook).
"""
from __future__ import annotations

import numpy as np

from . import Erratum
from ._compute import raises, undefined

CHAPTER = "06_next_item_rnn"

#: Source 000 §5.2's dataset class, as printed.
DATASET_CODE = """\
class BehaviorSequenceDataset(Dataset):
    def __init__(self, behaviors, sequence_len=100):
        self.behaviors = behaviors
        self.sequence_len = sequence_len
        self.sequences = []
        for i in range(len(behaviors)):
            sequence = behaviors[i][-100:]
            self.sequences.append(sequence)

    def __len__(self):
        return len(self.sequences)

    def __getitem__(self, item):
        sequence = self.sequences[item]
        input_ids = [sequence[i:i+100] for i in range(0, len(sequence), 100)]
        input_ids = input_ids + [[0] * (self.sequence_len - len(input_ids))]
        input_ids = torch.tensor(input_ids, dtype=torch.long)
        labels = torch.tensor(sequences[item], dtype=torch.long)
        return {'input_ids': input_ids, 'labels': labels}
"""


def _source_padding(sequence, sequence_len=100):
    """The source's __getitem__ padding, run on a list of ids."""
    input_ids = [sequence[i:i + 100] for i in range(0, len(sequence), 100)]
    return input_ids + [[0] * (sequence_len - len(input_ids))]


def _no_lstm_model() -> bool:
    """transformers (when installed) has no LSTMModel; and torch.nn.LSTM cannot read item ids without an
    embedding in front (it needs float vectors of its input size)."""
    import importlib.util

    import torch

    if importlib.util.find_spec("transformers") is not None:
        import transformers

        if hasattr(transformers, "LSTMModel"):
            return False
    lstm = torch.nn.LSTM(100, 16, 2, batch_first=True)
    return raises(lambda: lstm(torch.tensor([[3, 1, 4]])), RuntimeError, TypeError, ValueError)


def _sequences_undefined() -> bool:
    """`sequences` is read in __getitem__ and bound nowhere (only self.sequences is)."""
    return "sequences" in undefined(DATASET_CODE)


def _strings_are_not_ids() -> bool:
    import torch

    return raises(lambda: torch.tensor([["click", "view", "buy", "return"]], dtype=torch.long),
                  TypeError, ValueError, RuntimeError)


def _padding_is_ragged() -> bool:
    """For the source's own 4-event sequences the padded rows have lengths 4 and 99, which
    torch.tensor rejects."""
    import torch

    rows = _source_padding([1, 2, 3, 4])
    return [len(r) for r in rows] == [4, 99] and raises(lambda: torch.tensor(rows), ValueError, TypeError)


def _dataset_yields_examples() -> bool:
    """Iterating a Dataset gives one example at a time; a DataLoader gives batches."""
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    ds = TensorDataset(torch.arange(12).view(3, 4))
    return tuple(next(iter(ds))[0].shape) == (4,) and tuple(next(iter(DataLoader(ds, batch_size=64)))[0].shape) == (3, 4)


def _memorisation() -> bool:
    """A lookup table of the training data scores 100% on it and chance on held-out examples whose
    labels are random: accuracy on the training data measures memory, not prediction."""
    rng = np.random.default_rng(0)
    x_train, y_train = rng.permutation(10_000)[:500], rng.integers(0, 4, 500)
    table = dict(zip(x_train.tolist(), y_train.tolist()))
    x_new, y_new = rng.integers(10_000, 20_000, 500), rng.integers(0, 4, 500)
    train_acc = np.mean([table[x] == y for x, y in zip(x_train.tolist(), y_train.tolist())])
    new_acc = np.mean([table.get(x, 0) == y for x, y in zip(x_new.tolist(), y_new.tolist())])
    return train_acc == 1.0 and new_acc < 0.4


def _corrected_program_exists() -> bool:
    """The correction, not the source, is what can be run: every function the corrected steps name exists
    (the repeated block has nothing to compute)."""
    import importlib

    for path in ("companion.data.leave_one_out", "companion.next_item.causal_windows", "companion.torch.LSTM4Rec",
                 "companion.torch.fit_next_item", "companion.torch.evaluate_next_item"):
        module, name = path.rsplit(".", 1)
        if not hasattr(importlib.import_module(module), name):
            return False
    return all(path.split(": ")[-1] in step for step, path in zip(CORRECTED_STEPS, (
        "companion.data.leave_one_out", "companion.next_item.causal_windows", "companion.torch.LSTM4Rec",
        "companion.torch.fit_next_item", "companion.torch.evaluate_next_item")))

#: The corrected program, step by step (the notebook runs each step).
CORRECTED_STEPS = (
    "1. map item ids to 1..n (0 = padding): companion.data.leave_one_out",
    "2. inputs = seq[:-1], targets = seq[1:] (shifted by one), left-padded windows: companion.next_item.causal_windows",
    "3. model = embedding -> nn.LSTM(batch_first=True) -> scores over all items: companion.torch.LSTM4Rec",
    "4. mini-batches of windows, cross-entropy at every non-padding position, Adam: companion.torch.fit_next_item",
    "5. early stopping on validation NDCG@10, best weights restored; test Hit/NDCG/MRR@10 with full ranking "
    "on the held-out last item of each user: companion.torch.evaluate_next_item",
)


def corrected_lstm_recommender() -> str:
    return "\n".join(CORRECTED_STEPS)


ENTRIES = [
    Erratum(
        source="000 §5.2",
        topic="recommender",
        what="the model class",
        printed="from transformers import LSTMModel\nmodel = LSTMModel(sequence_len, hidden_size, num_layers)",
        correct=lambda: "torch.nn.Embedding(n_items, d, padding_idx=0) + torch.nn.LSTM(d, hidden_size, "
                        "num_layers, batch_first=True) + a linear map to n_items scores (companion.torch.LSTM4Rec)",
        why="the transformers library has no LSTMModel (ImportError); an LSTM is torch.nn.LSTM, and it "
            "needs an embedding in front and a scoring layer behind",
        chapter=CHAPTER,
        check=_no_lstm_model,
    ),
    Erratum(
        source="000 §5.2",
        topic="recommender",
        what="BehaviorSequenceDataset.__getitem__",
        printed="labels = torch.tensor(sequences[item], dtype=torch.long)",
        correct=lambda: "inputs, labels = seq[:-1], seq[1:]  # self.sequences, shifted by one",
        why="`sequences` is undefined (NameError; it is self.sequences), and labels equal to the input "
            "teach the model to copy what it sees: the target of position t is the item at t + 1",
        chapter=CHAPTER,
        check=_sequences_undefined,
    ),
    Erratum(
        source="000 §5.2",
        topic="recommender",
        what="the data",
        printed="behaviors = [['click', 'view', 'buy', 'return'], ...]; torch.tensor(sequence, dtype=torch.long)",
        correct=lambda: "item ids mapped to integers 1..n_items (0 = padding) before any tensor is made",
        why="strings cannot become a LongTensor (the map to ids is missing); and sequences of event types "
            "(4 symbols) predict the next action, not the next item: a recommender ranks items",
        chapter=CHAPTER,
        check=_strings_are_not_ids,
    ),
    Erratum(
        source="000 §5.2",
        topic="recommender",
        what="padding",
        printed="input_ids = [sequence[i:i+100] for i in range(0, len(sequence), 100)]\n"
                "input_ids = input_ids + [[0] * (self.sequence_len - len(input_ids))]",
        correct=lambda: "companion.data.pad_left(seqs, max_len): the last max_len items, zeros on the left",
        why="it pads the list of chunks with one row whose length is sequence_len minus the number of "
            "chunks, giving a ragged list that torch.tensor rejects",
        chapter=CHAPTER,
        check=_padding_is_ragged,
    ),
    Erratum(
        source="000 §5.2",
        topic="recommender",
        what="the training loop",
        printed="batch_size = 64\nfor epoch in range(10):\n    for batch in dataset: ...",
        correct=lambda: "for batch in DataLoader(dataset, batch_size=64, shuffle=True): ... "
                        "(or companion.torch.fit_next_item)",
        why="iterating over the Dataset yields single examples; batch_size is set and never used",
        chapter=CHAPTER,
        check=_dataset_yields_examples,
    ),
    Erratum(
        source="000 §4.3, §5.2",
        topic="recommender",
        what="evaluation",
        printed="accuracy, recall and F1 of torch.max(outputs) on the training dataset",
        correct=lambda: "Hit@10, NDCG@10 and MRR@10 with full ranking over all items, on each user's held-out "
                        "last item (chronological leave-one-out), next to popularity and Markov baselines",
        why="scoring the data the model was trained on measures memorisation; a recommender shows a ranked "
            "list, so ranking metrics on held-out items are the measure",
        chapter=CHAPTER,
        check=_memorisation,
    ),
    Erratum(
        source="000 §5.2",
        topic="recommender",
        what="the code block",
        printed="the same dataset/model/training/evaluation block, printed about ten times",
        correct=corrected_lstm_recommender,
        why="a generation artefact; the corrected program is given once, and runs",
        chapter=CHAPTER,
        check=_corrected_program_exists,
    ),
]
