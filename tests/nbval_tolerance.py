"""A numeric-aware output comparison for nbval (a pytest plugin, loaded from pyproject.toml).

nbval compares a notebook's stored outputs with freshly computed ones as exact strings, so a
regression test written on one CPU fails on another whose math kernels round differently
(356.327 stored, 356.328 computed). This plugin keeps nbval's strict mode (every cell is
compared) and changes only how two text outputs are compared:

* the text is split into numbers and the text between them;
* the text between numbers must be equal, except that a run of spaces may change length
  (a table re-aligns when a number gets wider);
* each number may differ from the stored one by one unit in its last printed digit
  (0.018 vs 0.019 passes, 0.018 vs 0.021 fails; 356 vs 357 passes);
* a cell may widen that for itself with a marker line followed by a comment saying why::

      # NBVAL_TOLERANCE abs=0.005
      # a trained metric after ten epochs; float32 round-off grows with every step

  (``abs=`` absolute, ``rel=`` relative to the stored number; the widest allowance applies).

Everything else (which cells run, sanitising, stream handling, markers such as
``NBVAL_IGNORE_OUTPUT``) is nbval's own: the plugin subclasses nbval's notebook and cell
classes and swaps them in at collection time.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import pytest

MARKER = "NBVAL_TOLERANCE"

# A number: optional sign (only where it cannot be a hyphen), digits with an optional
# fraction, optional exponent. Digits glued to a letter or underscore (float32, x1, NDCG@10's
# "10" is fine: '@' is not a letter) are part of a word, not a number.
NUMBER = re.compile(
    r"(?<![\w.])"                       # not inside a word or after a decimal point
    r"(?:(?<![\w)\]])[-+])?"            # a sign, unless it follows a word (ml-100k) or ')'
    r"(?:\d+\.\d*|\.\d+|\d+)"           # 12  12.  12.5  .5
    r"(?:[eE][-+]?\d+)?"                # exponent
    r"(?![\w])"                         # not followed by a letter: 10k, 3rd, 2D are words
)
SPACES = re.compile(r"[ \t]+")


@dataclass(frozen=True)
class Tolerance:
    """How far a computed number may be from the stored one, beyond one unit in the last digit."""

    abs: Decimal = Decimal(0)
    rel: Decimal = Decimal(0)

    def allowed(self, stored: Decimal, unit: Decimal) -> Decimal:
        return max(unit, self.abs, self.rel * abs(stored))


DEFAULT = Tolerance()


def parse_marker(source: str) -> Tolerance | None:
    """The tolerance a cell declares with ``# NBVAL_TOLERANCE abs=... rel=...``, or None.

    Raises ValueError when the marker is malformed or is not followed by a comment line
    giving the reason.
    """
    lines = source.splitlines()
    for i, line in enumerate(lines):
        text = line.strip()
        if not text.startswith("#") or MARKER not in text:
            continue
        body = text.lstrip("#").strip()
        if not body.startswith(MARKER):
            continue
        values = {}
        for item in body[len(MARKER):].split():
            key, sep, value = item.partition("=")
            if not sep or key not in ("abs", "rel"):
                raise ValueError(f"{MARKER}: expected abs=<number> and/or rel=<number>, got {item!r}")
            try:
                values[key] = Decimal(value)
            except InvalidOperation:
                raise ValueError(f"{MARKER}: {key}={value!r} is not a number") from None
            if values[key] < 0:
                raise ValueError(f"{MARKER}: {key} must be non-negative, got {value}")
        if not values:
            raise ValueError(f"{MARKER} needs abs=<number> and/or rel=<number>")
        reason = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if not (reason.startswith("#") and reason.lstrip("#").strip()):
            raise ValueError(f"{MARKER} must be followed by a comment line saying why the cell varies")
        return Tolerance(**values)
    return None


def unit_of(token: str) -> Decimal:
    """One unit in the last printed digit: 0.018 -> 0.001, 2.4e-06 -> 1e-07, 356 -> 1."""
    return Decimal(1).scaleb(Decimal(token).as_tuple().exponent)


def split_numbers(text: str) -> tuple[list[str], list[str]]:
    """The text between numbers (one more piece than numbers) and the numbers themselves."""
    pieces, numbers, start = [], [], 0
    for match in NUMBER.finditer(text):
        pieces.append(text[start:match.start()])
        numbers.append(match.group())
        start = match.end()
    pieces.append(text[start:])
    return pieces, numbers


def _normal_text(piece: str) -> str:
    """Text between numbers with runs of spaces collapsed and spaces at line ends removed."""
    piece = SPACES.sub(" ", piece)
    return re.sub(r" ?\n ?", "\n", piece)


def first_difference(stored: str, computed: str, tolerance: Tolerance = DEFAULT) -> str | None:
    """Why ``computed`` does not match ``stored``, or None when it matches."""
    if stored == computed:
        return None
    pieces_s, numbers_s = split_numbers(stored)
    pieces_c, numbers_c = split_numbers(computed)
    if len(numbers_s) != len(numbers_c):
        return f"{len(numbers_s)} numbers stored, {len(numbers_c)} computed"
    for i, (a, b) in enumerate(zip(pieces_s, pieces_c)):
        # spaces right next to a number are alignment, not text
        a, b = _normal_text(a), _normal_text(b)
        if i > 0:
            a, b = a.lstrip(" "), b.lstrip(" ")
        if i < len(numbers_s):
            a, b = a.rstrip(" "), b.rstrip(" ")
        if a != b:
            return f"text differs: stored {a!r}, computed {b!r}"
    for a, b in zip(numbers_s, numbers_c):
        x, y = Decimal(a), Decimal(b)
        allowed = tolerance.allowed(x, max(unit_of(a), unit_of(b)))
        if abs(x - y) > allowed:
            return f"number stored {a}, computed {b}: differs by {abs(x - y)}, more than {allowed}"
    return None


class ToleranceText(str):
    """A sanitised output string whose == and != use :func:`first_difference`."""

    tolerance: Tolerance = DEFAULT

    def __new__(cls, value: str, tolerance: Tolerance):
        self = super().__new__(cls, value)
        self.tolerance = tolerance
        return self

    def __eq__(self, other):
        if not isinstance(other, str):
            return NotImplemented
        return first_difference(str(self), str(other), self.tolerance) is None

    def __ne__(self, other):
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = str.__hash__


try:  # nbval is a test dependency; without it this plugin has nothing to do
    from nbval.plugin import IPyNbCell, IPyNbFile
except ImportError:  # pragma: no cover
    IPyNbCell = IPyNbFile = None

if IPyNbFile is not None:

    class ToleranceCell(IPyNbCell):
        """nbval's cell, comparing text outputs with :func:`first_difference`."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            try:
                declared = parse_marker(self.cell.source)
                self.marker_error = None
            except ValueError as exc:
                declared, self.marker_error = None, str(exc)
            self.tolerance = declared or DEFAULT

        def runtest(self):
            if self.marker_error:
                self.raise_cell_error(self.marker_error)
            super().runtest()

        def sanitize(self, s):
            s = super().sanitize(s)
            return ToleranceText(s, self.tolerance) if isinstance(s, str) else s

        def format_output_compare(self, key, left, right):
            super().format_output_compare(key, left, right)
            why = first_difference(str(left), str(right), self.tolerance)
            self.comparison_traceback.append(f"  first difference beyond the tolerance: {why}")

    class ToleranceFile(IPyNbFile):
        """nbval's notebook collector, yielding :class:`ToleranceCell` items."""

        def collect(self):
            for item in super().collect():
                yield ToleranceCell.from_parent(
                    self, name=item.name, cell_num=item.cell_num, cell=item.cell, options=item.options
                )

    @pytest.hookimpl(wrapper=True)
    def pytest_collect_file(file_path, parent):
        collected = yield
        return [
            ToleranceFile.from_parent(parent, path=file_path) if type(node) is IPyNbFile else node
            for node in collected
        ]
