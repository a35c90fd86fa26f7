"""Run chapters with ``FULL_SIZE = True`` (``make full-size``; on a GPU, part of ``make gpu-check``).

Each notebook is copied with its switch line ``FULL_SIZE = False`` turned on, executed top to bottom
in ``notebooks/`` (so the chapter's ``results.record`` calls write ``notebooks/results/*.json``, which
the book reads before the shipped copies in ``companion/results/``), and the executed copy is kept in
``--out``. The wall time and outcome of every chapter go to ``<out>/summary.json``. Copy the new
``notebooks/results/*.json`` into ``companion/results/`` and commit them to ship the run.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

SWITCH = re.compile(r"^FULL_SIZE = False\b", re.M)


def full_size_copy(nb):
    """The notebook with its ``FULL_SIZE = False`` line switched on; ValueError if it has none."""
    for cell in nb.cells:
        if cell.cell_type == "code" and SWITCH.search(cell.source):
            cell.source = SWITCH.sub("FULL_SIZE = True", cell.source, count=1)
            return nb
    raise ValueError("no 'FULL_SIZE = False' line in any code cell")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, default=Path("_build/full_size"))
    ap.add_argument("--timeout", type=int, default=4 * 3600, help="seconds per cell")
    args = ap.parse_args(argv)
    os.environ.update({"TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0"})
    args.out.mkdir(parents=True, exist_ok=True)
    import torch

    device = torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu"
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    summary, failed = {"device": device, "commit": commit, "date": time.strftime("%Y-%m-%d"), "chapters": {}}, 0
    for path in args.notebooks:
        nb = nbformat.read(path, as_version=4)
        try:
            full_size_copy(nb)
        except ValueError:
            summary["chapters"][path.stem] = {"status": "no FULL_SIZE switch"}
            continue
        t0, status = time.perf_counter(), "passed"
        try:
            NotebookClient(nb, timeout=args.timeout, kernel_name="python3",
                           resources={"metadata": {"path": str(path.parent)}}).execute()
        except CellExecutionError as e:
            status, failed = f"failed: {str(e).strip().splitlines()[-1][:300]}", failed + 1
        wall = time.perf_counter() - t0
        nbformat.write(nb, args.out / path.name)
        summary["chapters"][path.stem] = {"status": status, "wall_s": round(wall, 1)}
        print(f"{path.stem}: {status} in {wall:.0f} s", flush=True)
        (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
