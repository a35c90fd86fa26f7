"""Recorded full-size results: written by a chapter's ``FULL_SIZE`` run, read back by its
default-size run so the text can quote them with device, date and commit."""
from __future__ import annotations

import datetime as _dt
import json
import platform
import subprocess
from pathlib import Path

RESULTS_DIR = Path(__file__).parent / "results"


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


def record(name: str, metrics: dict, config: dict | None = None, *, device: str | None = None) -> Path:
    """Write ``results/<name>.json`` with the metrics, the configuration, device, date and commit."""
    if not name or "/" in name:
        raise ValueError(f"bad result name {name!r}")
    payload = {
        "name": name,
        "metrics": metrics,
        "config": config or {},
        "device": device or _device(),
        "date": _dt.date.today().isoformat(),
        "commit": _commit(),
    }
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, sort_keys=True, default=float) + "\n", encoding="utf-8")
    return path


def load(name: str) -> dict:
    """Read a recorded result; raises ``FileNotFoundError`` naming the run that makes it."""
    path = RESULTS_DIR / f"{name}.json"
    if not path.exists():
        raise FileNotFoundError(f"no recorded result {name!r}: run the chapter with FULL_SIZE = True to make {path.name}")
    return json.loads(path.read_text(encoding="utf-8"))


def available() -> list[str]:
    return sorted(p.stem for p in RESULTS_DIR.glob("*.json"))
