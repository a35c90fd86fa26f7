"""``check(name, answer)``: instant feedback for the book's exercises.

Answers live in ``companion/answers/<topic>.py`` as ``ANSWERS = {"exercise": spec}``; an
exercise is named ``"<topic>.<exercise>"``, e.g. ``check("data.sessions", n)``. A spec is
either the expected value (number, array, string, bool; numbers compared with ``rtol``/``atol``)
or a function ``answer -> (ok: bool, message: str)`` for answers that are checked, not matched.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["Expect", "check"]


@dataclass(frozen=True)
class Expect:
    """An expected value with its tolerance."""

    value: object
    rtol: float = 1e-6
    atol: float = 1e-9
    hint: str = ""


def _spec(name: str):
    topic, sep, key = name.partition(".")
    if not sep:
        raise ValueError(f"exercise names look like 'topic.exercise', got {name!r}")
    try:
        module = importlib.import_module(f"{__package__}.answers.{topic}")
    except ModuleNotFoundError as exc:
        raise ValueError(f"no exercises for topic {topic!r}") from exc
    if key not in module.ANSWERS:
        raise ValueError(f"no exercise {key!r} in topic {topic!r}; known: {sorted(module.ANSWERS)}")
    return module.ANSWERS[key]


def _compare(answer, spec: Expect) -> tuple[bool, str]:
    expected = spec.value
    if isinstance(expected, (str, bool)) or expected is None:
        ok = answer == expected
        return ok, "" if ok else f"expected {expected!r}"
    try:
        a = np.asarray(answer, dtype=float)
        e = np.asarray(expected, dtype=float)
    except (TypeError, ValueError):
        return False, f"expected a number or an array, got {type(answer).__name__}"
    if a.shape != e.shape:
        return False, f"expected shape {e.shape}, got {a.shape}"
    ok = bool(np.allclose(a, e, rtol=spec.rtol, atol=spec.atol))
    return ok, "" if ok else "not the expected value"


def check(name: str, answer, *, quiet: bool = False):
    """Check ``answer`` for exercise ``name`` and print *correct* or *not yet* (with a hint).

    With ``quiet=True`` nothing is printed and the verdict is returned as a bool.
    """
    spec = _spec(name)
    if isinstance(spec, Callable) and not isinstance(spec, Expect):
        ok, msg = spec(answer)
    else:
        spec = spec if isinstance(spec, Expect) else Expect(spec)
        ok, msg = _compare(answer, spec)
        if not ok and spec.hint:
            msg = f"{msg}. Hint: {spec.hint}"
    if quiet:
        return bool(ok)
    print(f"{name}: " + ("correct" if ok else f"not yet ({msg})"))
    return None
