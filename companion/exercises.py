"""``check(name, answer)``: feedback for the book's exercises that teaches without telling.

An exercise is named ``"<topic>.<exercise>"``, e.g. ``check("data.sessions_1h", n)``. ``check``
prints ``correct`` or ``not yet`` with a hint; it never prints, returns or stores in plain text
the expected answer. What the installed package holds is ``exercise_keys.json``:

* **exact** answers (a string, a bool, an integer, a list of integers) as a salted SHA-256
  digest of a canonical form of the answer;
* **numeric** answers (a number or an array) on a grid: the grid has step ``2 * tol`` and is
  shifted (``offset``, one per entry) so that the expected value sits in the middle of its
  cell; the key stores the digest of the cell indices. An answer is accepted exactly when
  every entry is within ``tol`` of the expected one (half-open: ``[v - tol, v + tol)``), and
  rounding noise in the last bits of a float cannot move a correct answer across a boundary;
* **property** checks for answers that are functions (``gru_step``, ``mask_items``) or open
  ended (a test AUC): they test what the answer must do, with public numbers only.

The plain answers and the reference solutions are the instructor's key, ``tests/answer_key/``
in the repository (not part of the installed package); ``tests/answer_key/build_keys.py`` computes
every answer by running its reference solution and writes ``exercise_keys.json``. What a
determined student can still do is search: ``check`` is an oracle, so a multiple-choice answer
falls in a few tries and a number can be found by looping over the grid (the book's teacher's
guide says so). The digests stop reading the answer off, not searching for it.
"""
from __future__ import annotations

import hashlib
import json
import math
from functools import lru_cache
from pathlib import Path

import numpy as np

__all__ = ["check", "exercise_names", "digest", "grid_indices", "canonical"]

KEY_FILE = Path(__file__).with_name("exercise_keys.json")


@lru_cache(maxsize=1)
def _keys() -> dict:
    return json.loads(KEY_FILE.read_text(encoding="utf-8"))


def exercise_names() -> list[str]:
    """Every exercise name ``check`` knows."""
    return sorted(_keys())


def _entry(name: str) -> dict:
    if not isinstance(name, str) or "." not in name:
        raise ValueError(f"exercise names look like 'topic.exercise', got {name!r}")
    keys = _keys()
    if name not in keys:
        topic = name.split(".")[0]
        known = sorted(k for k in keys if k.startswith(topic + "."))
        if not known:
            raise ValueError(f"no exercises for topic {topic!r}")
        raise ValueError(f"no exercise {name!r}; known in this topic: {known}")
    return keys[name]


def digest(salt: str, text: str) -> str:
    """The salted SHA-256 of ``text`` (hex)."""
    return hashlib.sha256(f"{salt}\x00{text}".encode("utf-8")).hexdigest()


def canonical(answer) -> str:
    """A canonical text form for exact answers: strings stripped and lower-cased; bools;
    integers (also integral floats and NumPy scalars); lists/tuples/arrays of those."""
    if isinstance(answer, (bool, np.bool_)):
        return f"bool:{bool(answer)}"
    if isinstance(answer, str):
        return "str:" + " ".join(answer.strip().lower().split())
    if isinstance(answer, np.ndarray) and answer.ndim == 0:
        return canonical(answer.item())
    if isinstance(answer, (list, tuple, np.ndarray)):
        return "seq:[" + ",".join(canonical(a) for a in np.asarray(answer, dtype=object).ravel().tolist()) + "]"
    try:
        x = float(answer)
    except (TypeError, ValueError):
        raise TypeError(f"expected {'an answer' if answer is None else 'a number, a string or a list'}, got {type(answer).__name__}") from None
    if math.isfinite(x) and x == int(x):
        return f"int:{int(x)}"
    return f"float:{x!r}"


def grid_indices(values, offsets, step: float) -> list[int]:
    """Cell index of each value on the grid ``offset + step * k``."""
    v = np.asarray(values, dtype=float).ravel()
    o = np.asarray(offsets, dtype=float).ravel()
    return [int(k) for k in np.floor((v - o) / step)]


def _grid_text(indices) -> str:
    return "grid:" + ",".join(map(str, indices))


def _as_numbers(answer, shape):
    """Answer as a float array of the expected shape, or (None, message)."""
    if answer is None or isinstance(answer, (str, bool, dict)) or callable(answer):
        kind = "a number" if not shape else f"{int(np.prod(shape))} numbers"
        return None, f"expected {kind}, got {type(answer).__name__}"
    if hasattr(answer, "detach"):  # a torch tensor
        answer = answer.detach().cpu().numpy()
    try:
        a = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        return None, f"expected a number or an array, got {type(answer).__name__}"
    if a.size == int(np.prod(shape)) and a.size > 0:
        a = a.reshape(shape)
    if a.shape != tuple(shape):
        want = "a single number" if not shape else f"shape {tuple(shape)}"
        return None, f"expected {want}, got shape {a.shape}"
    if not np.isfinite(a).all():
        return None, "the answer contains NaN or infinity"
    return a, ""


def _verdict(name: str, entry: dict, answer) -> tuple[bool, str]:
    kind = entry["kind"]
    if kind == "exact":
        try:
            text = canonical(answer)
        except TypeError as exc:
            return False, str(exc)
        return digest(entry["salt"], text) == entry["digest"], ""
    if kind == "numeric":
        a, msg = _as_numbers(answer, entry["shape"])
        if a is None:
            return False, msg
        idx = grid_indices(a, entry["offset"], entry["step"])
        return digest(entry["salt"], _grid_text(idx)) == entry["digest"], ""
    if kind == "property":
        from . import exercise_checks

        return getattr(exercise_checks, entry["check"])(answer)
    raise ValueError(f"unknown kind {kind!r} for {name}")


def check(name: str, answer, *, quiet: bool = False):
    """Check ``answer`` for exercise ``name``: print *correct*, or *not yet* with a hint.

    With ``quiet=True`` nothing is printed and the verdict is returned as a bool (for
    autograders). The expected answer is never printed.
    """
    entry = _entry(name)
    try:
        ok, msg = _verdict(name, entry, answer)
    except Exception as exc:  # noqa: BLE001 - a student's answer may fail in any way
        ok, msg = False, f"checking raised {type(exc).__name__}: {exc}"
    if quiet:
        return bool(ok)
    if ok:
        print(f"{name}: correct")
    else:
        hint = entry.get("hint", "")
        detail = "; ".join(m for m in (msg, f"hint: {hint}" if hint else "") if m)
        print(f"{name}: not yet" + (f" ({detail})" if detail else ""))
    return None
