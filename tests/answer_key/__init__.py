"""The instructor's answer key: one module per topic, ``EXERCISES = [Exercise(...), ...]``.

This folder lives under ``tests/`` and is **not** installed with the companion (``pyproject.toml``
packages only ``companion*``): students on Colab or with ``pip install`` get
``companion/exercise_keys.json``, which holds salted digests, not answers.
``tests/answer_key/build_keys.py`` runs every ``solution``
below and writes those digests; ``tests/test_classroom.py`` checks that every solution passes
``check`` and that wrong answers get feedback without the answer in it.

Each ``solution`` is self-contained (it imports and loads what it needs), so a test can run it
without executing the chapter; the chapter's solution cell shows the same computation written
against the chapter's variables.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable

TOPICS = ["data", "nn_essentials", "rnn", "purchase", "forecasting", "next_item", "attention", "vae", "rl"]
CHAPTERS = {"data": "01_behavior_data", "nn_essentials": "02_nn_essentials", "rnn": "03_rnn_lstm_gru",
            "purchase": "04_purchase_prediction", "forecasting": "05_forecasting",
            "next_item": "06_next_item_rnn", "attention": "07_attention_sasrec",
            "vae": "09_vae", "rl": "10_reinforcement_learning"}
TOPICS += ["seq2seq"]
CHAPTERS["seq2seq"] = "08_seq2seq"
TOPICS += ["ctr"]
CHAPTERS["ctr"] = "11_click_through"


@dataclass(frozen=True)
class Exercise:
    name: str                      # "<topic>.<key>", the name passed to check()
    title: str                     # short title, for the teacher's guide
    solution: Callable[[], object]  # returns a correct answer
    kind: str = "numeric"          # "exact", "numeric" or "property"
    tol: float = 5e-4              # numeric: accepted when every entry is within tol
    hint: str = ""                 # shown with "not yet"; must not contain the answer
    difficulty: str = "*"          # "*" warm-up, "**" needs the chapter's code, "***" open / longer
    check: str = ""                # property: the function name in companion.exercise_checks
    wrong: tuple = field(default=())  # extra wrong answers the tests try (besides the generic ones)
    example: bool = False          # the worked example shown with its answer in the chapter
    retired: bool = False          # replaced in the chapter (its answer was visible there); the check
                                   # keeps working for old copies of the notebooks


def all_exercises() -> list[Exercise]:
    out = []
    for topic in TOPICS:
        out.extend(importlib.import_module(f"{__name__}.{topic}").EXERCISES)
    return out
TOPICS += ["churn"]
CHAPTERS["churn"] = "12_churn"
