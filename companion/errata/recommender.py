"""Source errors about next-item recommendation (chapter 06: next-item recommendation with RNNs).

Source 000 §5.2 presents an "LSTM recommender" in PyTorch (and repeats the same block
about ten times). It does not run, and if its crashes were patched it still would not be a
recommender: it feeds event-type strings, asks the model to reproduce its own input, and
scores accuracy on the training data. :func:`corrected_lstm_recommender` is the running
version the chapter uses. Framework-neutral text (the code lives in the notebook).
"""
from __future__ import annotations

from . import Erratum

CHAPTER = "06_next_item_rnn"

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
    ),
    Erratum(
        source="000 §5.2",
        topic="recommender",
        what="the code block",
        printed="the same dataset/model/training/evaluation block, printed about ten times",
        correct=corrected_lstm_recommender,
        why="a generation artefact; the corrected program is given once, and runs",
        chapter=CHAPTER,
    ),
]
