"""Errors in the source documents, each with the computation that shows the right answer.

Each topic module (``rnn``, ``attention``, ...) defines ``ENTRIES``: a list of :class:`Erratum`.
A numeric entry carries the value the source printed and a function computing the correct one;
:func:`table` lays them side by side, and the errata appendix renders all of them.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Callable

__all__ = ["Erratum", "all_entries", "table"]


@dataclass(frozen=True)
class Erratum:
    """One error in a source document.

    source:   where, e.g. ``"003 §4.2"``
    topic:    short label of the chapter it belongs to, e.g. ``"rnn"``
    what:     the quantity or statement, e.g. ``"σ([0.15, 0.46])"``
    printed:  what the source printed (number, list, or text)
    correct:  a zero-argument function computing the right value (or returning the corrected text)
    why:      the name of the mistake, in one sentence
    chapter:  the notebook that discusses it
    """

    source: str
    topic: str
    what: str
    printed: object
    correct: Callable[[], object]
    why: str
    chapter: str = ""


def all_entries() -> list[Erratum]:
    """Every entry of every topic module, in module-name order."""
    entries = []
    for mod in sorted(m.name for m in pkgutil.iter_modules(__path__)):
        entries.extend(importlib.import_module(f"{__name__}.{mod}").ENTRIES)
    return entries


def _fmt(v, digits: int = 3):
    import numpy as np

    if isinstance(v, str):
        return v
    a = np.asarray(v, dtype=float)
    if a.ndim == 0:
        return f"{float(a):.{digits}f}"
    return "[" + ", ".join(f"{x:.{digits}f}" for x in a.ravel()) + "]"


def table(entries=None, digits: int = 3):
    """A DataFrame: source, what, printed, correct (computed now), why."""
    import pandas as pd

    entries = all_entries() if entries is None else entries
    rows = [
        {"source": e.source, "what": e.what, "printed": _fmt(e.printed, digits),
         "correct": _fmt(e.correct(), digits), "why": e.why}
        for e in entries
    ]
    return pd.DataFrame(rows, columns=["source", "what", "printed", "correct", "why"])
