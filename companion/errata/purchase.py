"""Errors in the purchase-prediction code and formulas of the sources (002 §4.2, §5.2, FAQ; 001 §5.1).

Discussed in ``notebooks/04_purchase_prediction.ipynb``.
"""
from __future__ import annotations

import math

from . import Erratum

CHAPTER = "04_purchase_prediction"


def _bce_positive_only() -> str:
    # With only the y·log(ŷ) term, the constant prediction ŷ = 1 has zero loss on every example.
    loss_positive_only = -(1 * math.log(1.0) + 0 * math.log(1.0)) / 2 + 0.0  # labels [1, 0], ŷ = 1 for both
    return (f"L = -(1/n) Σ [y log ŷ + (1 - y) log(1 - ŷ)], one label per session; "
            f"with the positive term alone, predicting ŷ = 1 for labels [1, 0] scores L = {loss_positive_only:.1f}")


ENTRIES = [
    Erratum(
        source="002 §4.2",
        topic="purchase",
        what="cross-entropy for purchase prediction",
        printed="L(y, ŷ) = -(1/T) Σ_t y_t log ŷ_t",
        correct=_bce_positive_only,
        why="for a binary label the (1 - y) log(1 - ŷ) term is missing, so always predicting 'buy' "
            "minimises the printed loss; and a session has one label, not one per time step",
        chapter=CHAPTER,
    ),
    Erratum(
        source="002 §5.2",
        topic="purchase",
        what="two output heads",
        printed="output_layer = Dense(1, activation='sigmoid')(lstm_layer)\n"
                "output = Dense(1, activation='sigmoid')(lstm_layer)\nmodel = Model(inputs=input_layer, outputs=output)",
        correct=lambda: "output = Dense(1, activation='sigmoid')(lstm_layer)\n"
                        "model = Model(inputs=input_layer, outputs=output)",
        why="a second head is built from the same LSTM output and the first one (output_layer) is dead code "
            "that §5.3 nevertheless describes as the output layer",
        chapter=CHAPTER,
    ),
    Erratum(
        source="002 §5.2",
        topic="purchase",
        what="input representation",
        printed="input_layer = Input(shape=(None, 3))",
        correct=lambda: "events = Input((None,), dtype='int32'); categories = Input((None,), dtype='int32');\n"
                        "Embedding(n_event_types + 1, 4, mask_zero=True)(events), "
                        "Embedding(n_categories + 1, 8, mask_zero=True)(categories) -> Concatenate -> LSTM",
        why="event types and categories are categorical ids, not three real-valued features; they need an "
            "embedding (or one-hot), and variable-length sessions need padding with a mask, which the source never does",
        chapter=CHAPTER,
    ),
    Erratum(
        source="002 §5.2",
        topic="purchase",
        what="training and evaluation",
        printed="model.compile(optimizer=optimizer, loss=loss)\n"
                "model.fit(train_data, train_labels, epochs=10, batch_size=32, validation_data=(val_data, val_labels))",
        correct=lambda: "Adam(learning_rate=1e-3, global_clipnorm=1.0); train while the validation ROC-AUC improves "
                        "(early stopping, best weights restored); report ROC-AUC, F1 at a threshold chosen on "
                        "validation data, and calibration on a held-out test set split by user",
        why="a fixed 10 epochs with validation loss only printed: no early stopping (which the FAQ recommends), "
            "no gradient clipping (which Q2 recommends) and no metric suited to an imbalanced binary label",
        chapter=CHAPTER,
    ),
    Erratum(
        source="002 FAQ Q4",
        topic="purchase",
        what="variable-length sequences",
        printed="complete missing sequence data by interpolation, by shifting it to the end, or by 'rotating' it to the start",
        correct=lambda: "pad every prefix to a common length with a reserved id 0 and mask the padded steps "
                        "(Keras: Embedding(mask_zero=True); PyTorch: carry the state over padded steps or pack the sequences)",
        why="shifting or rotating events changes their order, which is the signal a sequence model reads; "
            "interpolating categorical events is undefined",
        chapter=CHAPTER,
    ),
    Erratum(
        source="001 §5.1",
        topic="purchase",
        what="model selection on the test set",
        printed="model.fit(X_train, y_train, epochs=100, batch_size=32, validation_data=(X_test, y_test))\n"
                "... model.compile(..., loss='mean_squared_error', metrics=['accuracy']); model.fit(...)  # retrain",
        correct=lambda: "split users into train / valid / test; tune and stop early on valid; touch test once; "
                        "for a purchase label use a sigmoid output with binary cross-entropy and ROC-AUC",
        why="the test set is used as validation data and the model is re-tuned on it (the reported test error is "
            "optimistic); 'accuracy' is meaningless for a mean-squared-error regression output; and the user ID is "
            "fed in as a numeric feature",
        chapter=CHAPTER,
    ),
]
