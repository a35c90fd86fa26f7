"""Recorded full-size results: written by a chapter's ``FULL_SIZE`` run, read back by its
default-size run so the text can quote them with device, date and commit.

Where the files are
-------------------
* :func:`record` writes ``<directory>/<name>.json``; ``directory`` defaults to
  :func:`default_directory`, the ``results/`` folder in the current working directory. A
  notebook runs in its own folder (Jupyter, ``jupyter execute`` and nbval all do this), so a
  chapter's full-size run writes ``notebooks/results/<name>.json`` in a clone, and
  ``/content/results/<name>.json`` on Colab, where the reader can download it.
* :func:`load` and :func:`available` look in that directory first and then in the copies the
  book ships inside the package (``companion/results/``, :data:`PACKAGE_DIR`), which are
  read-only: a fresh clone and a Colab runtime both find the book's recorded runs there.
* To update a shipped result, re-run the chapter with ``FULL_SIZE = True`` on a GPU and copy
  the new ``notebooks/results/<name>.json`` into ``companion/results/`` (``notebooks/results/``
  itself is not committed).
"""
from __future__ import annotations

import datetime as _dt
import json
import platform
import subprocess
from pathlib import Path

__all__ = ["PACKAGE_DIR", "available", "default_directory", "load", "record"]

#: The recorded results shipped with the book (read-only fallback of :func:`load`).
PACKAGE_DIR = Path(__file__).parent / "results"


def default_directory() -> Path:
    """``results/`` in the current working directory (beside the notebook being run)."""
    return Path.cwd() / "results"


def _commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=Path(__file__).parent,
                             capture_output=True, text=True, timeout=10)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _device() -> str:
    try:
        from . import device_name

        dev = device_name()
    except ImportError:
        dev = "cpu"
    return f"{dev}; {platform.processor() or platform.machine()}"


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not name or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"bad result name {name!r}")
    return name


def record(name: str, metrics: dict, config: dict | None = None, *, device: str | None = None,
           directory=None) -> Path:
    """Write ``<directory>/<name>.json`` (default :func:`default_directory`) with the metrics,
    the configuration, device, date and commit; returns the path written."""
    _check_name(name)
    payload = {
        "name": name,
        "metrics": metrics,
        "config": config or {},
        "device": device or _device(),
        "date": _dt.date.today().isoformat(),
        "commit": _commit(),
    }
    folder = Path(directory) if directory is not None else default_directory()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, sort_keys=True, default=float) + "\n", encoding="utf-8")
    return path


def _search(directory) -> list[Path]:
    first = Path(directory) if directory is not None else default_directory()
    return [first] if first.resolve() == PACKAGE_DIR.resolve() else [first, PACKAGE_DIR]


def load(name: str, *, directory=None) -> dict:
    """Read a recorded result from ``directory`` (default :func:`default_directory`), else from the
    package's shipped copy; raises ``FileNotFoundError`` naming the run that makes it."""
    _check_name(name)
    for folder in _search(directory):
        path = folder / f"{name}.json"
        if path.exists():
            return json.loads(path.read_text(encoding="utf-8"))
    raise FileNotFoundError(f"no recorded result {name!r}: run the chapter with FULL_SIZE = True to make {name}.json")


def available(*, directory=None) -> list[str]:
    """Names of the recorded results :func:`load` can find."""
    return sorted({p.stem for folder in _search(directory) if folder.is_dir() for p in folder.glob("*.json")})
