"""Write ``companion/exercise_keys.json`` from the instructor's key (``tests/answer_key``).

Every answer is computed by running its reference solution, then stored as a salted digest
(see :mod:`companion.exercises`). Salts of existing entries are kept, so rebuilding an unchanged
key gives an identical file. Run from the repository root::

    python tests/answer_key/build_keys.py          # write the file
    python tests/answer_key/build_keys.py --check  # exit 1 if the file is not up to date
"""
from __future__ import annotations

import argparse
import json
import secrets
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from answer_key import all_exercises  # noqa: E402
from companion.exercises import KEY_FILE, _grid_text, canonical, digest, grid_indices  # noqa: E402


def entry(ex, salt: str) -> dict:
    e = {"kind": ex.kind, "hint": ex.hint}
    if ex.kind == "property":
        e["check"] = ex.check
        return e
    e["salt"] = salt
    answer = ex.solution()
    if ex.kind == "exact":
        e["digest"] = digest(salt, canonical(answer))
        return e
    v = np.asarray(answer, dtype=float)
    step = 2 * ex.tol
    offset = np.mod(v - ex.tol, step)          # v sits in the middle of its grid cell
    e.update(shape=list(v.shape), step=step, offset=np.atleast_1d(offset).ravel().tolist(),
             digest=digest(salt, _grid_text(grid_indices(v, offset, step))))
    return e


def build() -> dict:
    old = json.loads(KEY_FILE.read_text()) if KEY_FILE.exists() else {}
    keys = {}
    for ex in all_exercises():
        salt = old.get(ex.name, {}).get("salt") or secrets.token_hex(8)
        keys[ex.name] = entry(ex, salt)
    return keys


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args(argv)
    keys = build()
    text = json.dumps(keys, indent=1, sort_keys=True) + "\n"
    if args.check:
        ok = KEY_FILE.exists() and KEY_FILE.read_text() == text
        print("exercise keys up to date" if ok else f"{KEY_FILE} is stale: run python tests/answer_key/build_keys.py")
        return 0 if ok else 1
    KEY_FILE.write_text(text)
    print(f"wrote {len(keys)} exercise keys to {KEY_FILE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
