"""Errors in the purchase-prediction code and formulas of the sources (002 §4.2, §5.2, FAQ; 001 §5.1).

Discussed in ``notebooks/04_purchase_prediction.ipynb``. :func:`window_choice` is the computation
behind the FAQ's "time step" entry; the chapter prints the same numbers.
"""
from __future__ import annotations

import ast
import functools
import math

import numpy as np

from . import Erratum
from ._compute import optimistic, unused

CHAPTER = "04_purchase_prediction"

#: Source 002 §5.2's Keras program (imports left out), as printed.
KERAS_CODE = """\
input_layer = Input(shape=(None, 3))
lstm_layer = LSTM(units=64, dropout=0.2, recurrent_dropout=0.2)(input_layer)
output_layer = Dense(units=1, activation='sigmoid')(lstm_layer)
output = Dense(units=1, activation='sigmoid')(lstm_layer)
model = Model(inputs=input_layer, outputs=output)
loss = 'binary_crossentropy'
optimizer = Adam(learning_rate=0.001)
model.compile(optimizer=optimizer, loss=loss)
model.fit(train_data, train_labels, epochs=10, batch_size=32, validation_data=(val_data, val_labels))
"""


def _positive_only_minimised_by_one() -> bool:
    """On labels [1, 0] the printed loss -Σ y log ŷ is 0 at ŷ = 1 (its minimum) and positive at ŷ = 0.5;
    the full binary cross-entropy is smallest at ŷ = 0.5, the label rate."""
    y = np.array([1.0, 0.0])

    def printed(p):
        return float(-(y * np.log(p)).mean())

    def bce(p):
        return float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).mean())

    return printed(1.0) == 0.0 < printed(0.5) and bce(0.5) < bce(0.99)


def _ids_are_not_numbers() -> bool:
    """A label that depends on category 2 of 0..3: a logistic regression on the raw code ranks no better
    than 0.7 (it can only rank codes in order), one-hot codes rank perfectly."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    code = np.random.default_rng(0).integers(0, 4, 2000)
    y = (code == 2).astype(int)
    raw = LogisticRegression().fit(code[:, None], y).predict_proba(code[:, None])[:, 1]
    onehot = np.eye(4)[code]
    hot = LogisticRegression().fit(onehot, y).predict_proba(onehot)[:, 1]
    return roc_auc_score(y, raw) < 0.7 and roc_auc_score(y, hot) > 0.99


def _fit_keywords() -> dict:
    tree = ast.parse(KERAS_CODE)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "fit"]
    return {k.arg: k.value for k in calls[0].keywords}


def _no_stopping_no_clipping() -> bool:
    """The printed fit() has a fixed epochs=10 and no callbacks (no early stopping); the optimizer has no
    clipnorm / global_clipnorm."""
    kw = _fit_keywords()
    opt = [n for n in ast.walk(ast.parse(KERAS_CODE)) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "Adam"]
    clip = {k.arg for k in opt[0].keywords} & {"clipnorm", "global_clipnorm", "clipvalue"}
    return "callbacks" not in kw and ast.literal_eval(kw["epochs"]) == 10 and not clip


def _rotation_changes_order() -> bool:
    """Rotating a prefix (view, view, cart) to the start changes its last event and its order features."""
    from companion.data.purchase import order_features

    ev, ca = np.array([[1, 1, 2]]), np.array([[1, 3, 3]])
    before = order_features(ev, ca, 4).to_numpy()
    after = order_features(np.roll(ev, 1, axis=1), np.roll(ca, 1, axis=1), 4).to_numpy()
    return not np.array_equal(before, after)


@functools.lru_cache(maxsize=4)
def window_choice(n_users: int = 5000, seed: int = 0, tie: float = 0.002):
    """The window study of :func:`companion.data.purchase.window_length_study` and, per variant, the
    window chosen on validation: the smallest ``w`` within ``tie`` of the best validation AUC.
    Returns ``(table, chosen)``."""
    from companion.data.purchase import window_length_study

    t = window_length_study(n_users=n_users, seed=seed)
    chosen = {name: int(min(w for w in t.index if t.loc[w, name] >= t[name].max() - tie)) for name in t.columns}
    return t, chosen


def window_is_a_hyperparameter() -> bool:
    """The validated window differs between the two drift variants (equal sequence lengths); "half the
    length" (6) loses more than 0.02 validation AUC on the fast-drift one, "1 or 2" on the stable one."""
    t, chosen = window_choice()
    fast, stable = t.columns
    return (chosen[fast] < chosen[stable]
            and t.loc[chosen[fast], fast] - t.loc[6, fast] > 0.02
            and t.loc[chosen[stable], stable] - t.loc[[1, 2], stable].max() > 0.02)


def _window_summary() -> str:
    t, chosen = window_choice()
    fast, stable = t.columns
    return (f"a hyperparameter chosen on validation data: on two versions of the chapter's generator with the same "
            f"12-event maximum, validation picks w = {chosen[fast]} when the intent drifts fast (w = 6 loses "
            f"{t.loc[chosen[fast], fast] - t.loc[6, fast]:.3f} AUC) and w = {chosen[stable]} when it never changes "
            f"(w = 2 loses {t.loc[chosen[stable], stable] - t.loc[2, stable]:.3f})")


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
        check=_positive_only_minimised_by_one,
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
        check=lambda: "output_layer" in unused(KERAS_CODE),
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
        check=_ids_are_not_numbers,
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
        check=_no_stopping_no_clipping,
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
        check=_rotation_changes_order,
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
        check=optimistic,
    ),
    Erratum(
        source="002 FAQ Q3",
        topic="purchase",
        what="choosing the time step (how many of the latest events the LSTM reads)",
        printed="usually half the sequence length for time-series prediction; usually 1 or 2 for sequence "
                "classification",
        correct=_window_summary,
        why="a fixed rule cannot be right for every data set: the window that works depends on how far back "
            "the signal reaches, so it is tuned on validation data like any other hyperparameter",
        chapter=CHAPTER,
        check=window_is_a_hyperparameter,
    ),
]
