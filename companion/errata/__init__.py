"""Errors in the source documents, each with the computation that shows the right answer.

Each topic module (``rnn``, ``attention``, ...) defines ``ENTRIES``: a list of :class:`Erratum`.
A numeric entry carries the value the source printed and a function computing the correct one;
:func:`table` lays them side by side, and the errata appendix renders all of them, grouped by the
chapter that discusses them (:func:`by_chapter`). A new chapter adds ``companion/errata/<topic>.py``
with its ``ENTRIES``; :func:`all_entries` finds every submodule, so the appendix needs no change.

Every entry can be checked (:func:`verify`): a numeric entry is checked by comparing what the source
printed with what is computed now (they must differ); any other entry carries ``check``, a function
that computes something which would come out the other way if the source were right (the code is
run or parsed, the formula evaluated, the claim measured) and returns ``True`` when the source is
shown wrong. A check may import the library whose API the source misused (PyTorch, Keras), at
call time only: importing :mod:`companion.errata` stays framework-free.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Callable

__all__ = ["ChapterErrata", "Erratum", "ErrataTable", "all_entries", "by_chapter", "table", "verify"]


@dataclass(frozen=True)
class Erratum:
    """One error in a source document.

    source:   where, e.g. ``"003 §4.2"``
    topic:    short label of the chapter it belongs to, e.g. ``"rnn"``
    what:     the quantity or statement, e.g. ``"σ([0.15, 0.46])"``
    printed:  what the source printed (number, list, or text)
    correct:  a zero-argument function computing the right value (or returning the corrected text)
    why:      the name of the mistake, in one sentence
    chapter:  the notebook that discusses it (its file name without ``.ipynb``)
    check:    a zero-argument function returning ``True`` when a computation shows the source wrong
              (needed where ``printed`` or ``correct()`` is not a number; see :func:`verify`)
    """

    source: str
    topic: str
    what: str
    printed: object
    correct: Callable[[], object]
    why: str
    chapter: str = ""
    check: Callable[[], bool] | None = None


def all_entries() -> list[Erratum]:
    """Every entry of every topic module (every submodule not starting with ``_``), in module-name order."""
    entries = []
    for mod in sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")):
        entries.extend(importlib.import_module(f"{__name__}.{mod}").ENTRIES)
    return entries


def _numeric(v):
    import numpy as np

    if isinstance(v, str):
        return None
    try:
        return np.asarray(v, dtype=float)
    except (TypeError, ValueError):
        return None


def verify(entry: Erratum, atol: float = 5e-4):
    """``True`` when a computation shows the source wrong, ``False`` when it does not, ``None`` when
    the entry has nothing to compute (no ``check`` and a non-numeric ``printed`` or ``correct``).

    With ``check`` set, its result; otherwise a numeric entry is wrong when ``correct()`` differs from
    ``printed`` by more than ``atol`` (the rounding of three printed decimals) or has another shape."""
    import numpy as np

    if entry.check is not None:
        return bool(entry.check())
    p, c = _numeric(entry.printed), _numeric(entry.correct())
    if p is None or c is None:
        return None
    return bool(p.shape != c.shape or not np.allclose(p, c, atol=atol))


def by_chapter(entries=None) -> dict:
    """``{chapter: [entries]}`` in the order the chapters' files sort (``01_...`` first, appendices
    and entries without a chapter last); within a chapter, entries by source document (000 .. 004),
    then in their modules' order."""
    entries = all_entries() if entries is None else entries
    groups: dict = {}
    for e in sorted(entries, key=lambda e: e.source[:3]):
        groups.setdefault(e.chapter, []).append(e)
    return dict(sorted(groups.items(), key=lambda kv: (not kv[0][:1].isdigit(), kv[0] == "", kv[0])))


def _fmt(v, digits: int = 3):
    import numpy as np

    if isinstance(v, str):
        return v
    a = np.asarray(v, dtype=float)
    if a.ndim == 0:
        return f"{float(a):.{digits}f}"
    return "[" + ", ".join(f"{x:.{digits}f}" for x in a.ravel()) + "]"


def _errata_table_class():
    import pandas as pd

    class ErrataTable(pd.DataFrame):
        """A DataFrame that displays its text columns whole (no "..." at 50 characters)."""

        @property
        def _constructor(self):
            return ErrataTable

        def __repr__(self):
            with pd.option_context("display.max_colwidth", None):
                return super().__repr__()

        def _repr_html_(self):
            with pd.option_context("display.max_colwidth", None):
                return super()._repr_html_()

        def to_string(self, *args, **kwargs):
            with pd.option_context("display.max_colwidth", None):
                return super().to_string(*args, **kwargs)

    ErrataTable.__module__, ErrataTable.__qualname__ = __name__, "ErrataTable"
    return ErrataTable


_TABLE_CLASS = None


def __getattr__(name):  # ErrataTable is built on first use, so importing errata does not import pandas
    global _TABLE_CLASS
    if name == "ErrataTable":
        if _TABLE_CLASS is None:
            _TABLE_CLASS = _errata_table_class()
        return _TABLE_CLASS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def table(entries=None, digits: int = 3, *, checked: bool = False):
    """An :class:`ErrataTable` (a DataFrame shown with whole columns): source, what, printed,
    correct (computed now), why; with ``checked=True`` also ``check``, the result of :func:`verify`."""
    entries = all_entries() if entries is None else entries
    rows = [
        {"source": e.source, "what": e.what, "printed": _fmt(e.printed, digits),
         "correct": _fmt(e.correct(), digits), "why": e.why}
        for e in entries
    ]
    columns = ["source", "what", "printed", "correct", "why"]
    if checked:
        for row, e in zip(rows, entries):
            row["check"] = {True: "source wrong", False: "SOURCE RIGHT", None: "nothing computed"}[verify(e)]
        columns.append("check")
    return __getattr__("ErrataTable")(rows, columns=columns)


class ChapterErrata:
    """The entries of one chapter, displayed as Markdown in a notebook (a heading that links to the
    chapter, one block per entry) and as plain text elsewhere; no line of either is wider than ``width``.

    ``title`` is the chapter's heading (default: the chapter's file name)."""

    def __init__(self, chapter: str, entries, title: str | None = None, width: int = 120, digits: int = 3):
        if width < 40:
            raise ValueError(f"width must be at least 40, got {width}")
        self.chapter, self.entries, self.width, self.digits = chapter, list(entries), width, digits
        self.title = title or chapter or "not tied to a chapter"
        self.results = [(e, _fmt(e.printed, digits), _fmt(e.correct(), digits), verify(e)) for e in self.entries]

    def _wrap(self, text: str, first: str, rest: str) -> list[str]:
        import textwrap

        out = []
        for i, para in enumerate(str(text).split("\n")):
            out += textwrap.wrap(para, self.width, initial_indent=first if i == 0 else rest,
                                 subsequent_indent=rest, break_long_words=True, break_on_hyphens=False) or [rest]
        return out

    @staticmethod
    def _mark(ok) -> str:
        return {True: "checked: the computation shows the source wrong", False: "CHECK FAILED: the source looks right",
                None: "nothing computed"}[ok]

    def text(self) -> str:
        lines = self._wrap(f"{self.title} ({self.chapter}.ipynb): {len(self.entries)} entries" if self.chapter
                           else f"{self.title}: {len(self.entries)} entries", "== ", "   ")
        for e, printed, correct, ok in self.results:
            lines += self._wrap(f"{e.source}: {e.what}", "* ", "  ")
            lines += self._wrap(printed, "  printed: ", "    ")
            lines += self._wrap(correct, "  correct: ", "    ")
            lines += self._wrap(e.why, "  why: ", "    ")
            lines.append(f"  {self._mark(ok)}")
        return "\n".join(lines)

    def markdown(self) -> str:
        def esc(s: str) -> str:
            return str(s).replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_").replace("<", "&lt;")

        head = f"### [{self.title}]({self.chapter}.ipynb)" if self.chapter else f"### {self.title}"
        lines = [head, ""]
        for e, printed, correct, ok in self.results:
            lines += self._wrap(f"**{e.source}**: {esc(e.what)}", "* ", "  ")
            lines += self._wrap(f"*printed:* {esc(printed)}<br>".replace("\n", "<br>\n"), "  ", "  ")
            lines += self._wrap(f"*correct (computed now):* {esc(correct)}<br>".replace("\n", "<br>\n"), "  ", "  ")
            lines += self._wrap(f"*why:* {esc(e.why)}<br>", "  ", "  ")
            lines += self._wrap(f"*{self._mark(ok)}*", "  ", "  ")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.text()

    def _repr_markdown_(self) -> str:
        return self.markdown()
