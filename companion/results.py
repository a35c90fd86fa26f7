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

Reading them
------------
:func:`flatten` turns a result's nested metrics into ``(path, value)`` rows and :func:`render`
writes one result as text (every metric, its protocol, configuration, device, date and commit,
no line wider than ``width``); the results appendix renders every shipped file with it.
"""
from __future__ import annotations

import datetime as _dt
import json
import platform
import subprocess
from pathlib import Path

__all__ = ["PACKAGE_DIR", "available", "default_directory", "flatten", "format_value", "load", "record", "render"]

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
           directory=None, protocol: str | None = None) -> Path:
    """Write ``<directory>/<name>.json`` (default :func:`default_directory`) with the metrics,
    the configuration, device, date and commit (and ``protocol``, one sentence on how the metrics
    were measured, when given); returns the path written."""
    _check_name(name)
    if protocol is not None and (not isinstance(protocol, str) or not protocol.strip()):
        raise ValueError(f"protocol must be a non-empty string, got {protocol!r}")
    payload = {
        "name": name,
        "metrics": metrics,
        "config": config or {},
        "device": device or _device(),
        "date": _dt.date.today().isoformat(),
        "commit": _commit(),
    }
    if protocol is not None:
        payload["protocol"] = protocol
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


#: How the results recorded before :func:`record` took ``protocol`` were measured (from the chapter
#: that records each); a file's own ``protocol`` field takes precedence.
LEGACY_PROTOCOLS = {
    "forecasting": "chapter 5: daily volume of the synthetic shop and of MovieLens-100K; rolling origin over the "
                   "last test_days days, horizons 1..7, parameters re-estimated every refit_every origins; MASE "
                   "scaled by the in-sample seasonal-naive MAE; Diebold-Mariano test and moving-block bootstrap "
                   "of the MAE difference",
    "next_item_ml100k": "chapter 6: MovieLens-100K, every rating an interaction; chronological leave-one-out; full "
                        "ranking over all items with seen items kept (ndcg@10_seen_masked: seen items removed); "
                        "the epoch with the best validation NDCG@10 is tested",
    "nn_essentials_purchase": "chapter 2: synthetic shop (seed 0), weekly cutoffs, label = a buy in the next "
                              "session, users split 60/20/20 (seed 0); test ROC-AUC, the MLPs at the epoch with "
                              "the best validation AUC",
    "rnn_lag_task": "chapter 3: recall the input k steps back (lags k), one seed; the best validation accuracy "
                    "over the epochs (no separate test set)",
    "sasrec_ml100k": "chapter 7: the protocol of next_item_ml100k; learning rate and dropout chosen by validation "
                     "NDCG@10 among four settings; test_sampled100: each test item ranked against 100 sampled "
                     "unseen items",
}

_HEADER = ("name", "metrics", "config", "device", "date", "commit", "protocol")


#: Lists longer than this (per-user ranks, say) are summarised: count, min, mean, max.
LONG_LIST = 60


def format_value(v) -> str:
    """A recorded value as text: floats with 4 decimals (1 from 1,000 on), lists inline; a list of
    more than :data:`LONG_LIST` numbers (per-user data, not a metric) as its count, min, mean and max."""
    if isinstance(v, bool) or v is None:
        return json.dumps(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return f"{v:.1f}" if abs(v) >= 1000 else f"{v:.4f}"
    if isinstance(v, str):
        return v
    if isinstance(v, (list, tuple)):
        if len(v) > LONG_LIST and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v):
            return (f"{len(v)} values: min {format_value(min(v))}, mean {format_value(sum(v) / len(v))}, "
                    f"max {format_value(max(v))}")
        return "[" + ", ".join(format_value(x) for x in v) + "]"
    raise TypeError(f"cannot format a recorded value of type {type(v).__name__}: {v!r}")


def _is_leaf_list(v) -> bool:
    return isinstance(v, (list, tuple)) and not any(isinstance(x, (dict, list, tuple)) for x in v)


def flatten(tree, prefix: str = "", sep: str = " / ") -> list[tuple[str, object]]:
    """``(path, value)`` for every leaf of a nested dict (lists of plain values are leaves; the
    items of other lists are numbered); nothing is skipped. ``{"test": {"auc": 0.8}}`` gives
    ``[("test / auc", 0.8)]``."""
    if isinstance(tree, dict):
        if not tree:
            return [(prefix, {})] if prefix else []
        rows = []
        for k, v in tree.items():
            rows.extend(flatten(v, f"{prefix}{sep}{k}" if prefix else str(k), sep))
        return rows
    if isinstance(tree, (list, tuple)) and not _is_leaf_list(tree):
        rows = []
        for i, v in enumerate(tree):
            rows.extend(flatten(v, f"{prefix}{sep}{i}" if prefix else str(i), sep))
        return rows
    if not prefix:
        raise ValueError(f"expected a dict of metrics, got {type(tree).__name__}")
    return [(prefix, tree)]


def _lines(label: str, text: str, width: int, indent: str) -> list[str]:
    import textwrap

    return textwrap.wrap(f"{label}{text}", width, subsequent_indent=indent, break_long_words=True,
                         break_on_hyphens=False) or [label.rstrip()]


def render(result: dict, width: int = 120) -> str:
    """One recorded result as text: a header with device, date and commit; the protocol (or
    "not recorded"); every other top-level field (notes); the configuration and every metric,
    one ``path  value`` line each (long values wrap, no line wider than ``width``)."""
    if not isinstance(result, dict) or "metrics" not in result:
        raise ValueError("expected a recorded result (a dict with 'metrics'), as results.load returns")
    if width < 40:
        raise ValueError(f"width must be at least 40, got {width}")
    out = _lines("", f"== {result.get('name', '?')}: device {result.get('device', 'not recorded')}, "
                     f"date {result.get('date', 'not recorded')}, commit {result.get('commit', 'not recorded')}",
                 width, "   ")
    proto = (result.get("protocol") or (result.get("config") or {}).get("protocol")
             or LEGACY_PROTOCOLS.get(result.get("name")))
    out += _lines("protocol: ", proto if proto else "not recorded in the file (see the chapter that records it)",
                  width, "    ")
    for key in sorted(k for k in result if k not in _HEADER):
        out += _lines(f"{key}: ", format_value(result[key]) if not isinstance(result[key], dict)
                      else json.dumps(result[key], sort_keys=True), width, "    ")
    for section in ("config", "metrics"):
        rows = [(p, v) for p, v in flatten(result.get(section) or {})
                if not (section == "config" and p == "protocol")]
        out.append(f"{section}:" if rows else f"{section}: none recorded")
        pad = min(max((len(p) for p, _ in rows), default=0), width // 2)
        for p, v in rows:
            out += _lines(f"  {p:<{pad}}  ", format_value(v), width, " " * min(pad + 4, width // 2))
    return "\n".join(out)
