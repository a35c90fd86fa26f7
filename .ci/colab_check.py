"""Execute every notebook under Colab's library versions (``make colab-check``).

Run with the Python of the Colab-version environment (``.venv-colab``, Python 3.13). Each
notebook is copied to ``--out`` and executed there top to bottom in a kernel running *this*
interpreter; a notebook passes when no cell raises (so every ``assert`` holds). Stored outputs
are not compared: they may differ across library versions. Before the notebooks run, the
installed versions are compared with the constraints file, so a drifted environment fails
loudly instead of passing for the wrong reason. A summary goes to ``<out>/summary.json``.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from importlib import metadata
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

QUIET_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0"}


def pinned(constraints: Path) -> dict[str, str]:
    pins = {}
    for line in constraints.read_text().splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            name, version = (s.strip() for s in line.split("=="))
            pins[name] = version
    return pins


def installed_versions(pins: dict[str, str]) -> dict[str, str]:
    return {name: metadata.version(name) for name in pins}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="+", type=Path)
    ap.add_argument("--constraints", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=Path("_build/colab-check"))
    ap.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    args = ap.parse_args(argv)

    import os

    os.environ.update(QUIET_ENV)
    pins = pinned(args.constraints)
    have = installed_versions(pins)
    drift = {n: (pins[n], have[n]) for n in pins if not have[n].split("+")[0] == pins[n]}
    print(f"Python {platform.python_version()}; " + ", ".join(f"{n} {v}" for n, v in have.items()))
    if drift:
        print("installed versions differ from the constraints:", drift)
        return 2

    args.out.mkdir(parents=True, exist_ok=True)
    others = {}
    for name in ("scipy", "statsmodels", "matplotlib", "nbclient", "ipykernel"):
        try:
            others[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    summary = {"python": platform.python_version(), "versions": have, "unpinned": others,
               "machine": platform.machine(),
               "date": time.strftime("%Y-%m-%d"), "notebooks": {}}
    failed = []
    for path in args.notebooks:
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(nb, timeout=args.timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent.resolve())}})
        t0 = time.perf_counter()
        status, error = "passed", ""
        try:
            _execute(client)  # the kernel runs this interpreter, not the first 'python3' kernelspec found
        except CellExecutionError as exc:
            status, error = "failed", str(exc).splitlines()[-1][:500] if str(exc) else repr(exc)
        seconds = round(time.perf_counter() - t0, 1)
        nbformat.write(nb, args.out / path.name)
        summary["notebooks"][path.name] = {"status": status, "seconds": seconds, "error": error}
        print(f"{path.name}: {status} in {seconds} s {error}", flush=True)
        if status != "passed":
            failed.append(path.name)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2))
    print(f"{len(args.notebooks) - len(failed)} of {len(args.notebooks)} notebooks executed without errors"
          + (f"; failed: {failed}" if failed else ""))
    return 1 if failed else 0


def _execute(client: NotebookClient) -> None:
    """Execute with a kernel started from ``sys.executable`` (ipykernel in this environment)."""
    from jupyter_client.kernelspec import KernelSpec

    spec = KernelSpec(argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                      display_name="colab-check", language="python", env=dict(QUIET_ENV))
    km = client.create_kernel_manager()
    km._kernel_spec = spec  # noqa: SLF001 - pin the interpreter
    client.km = km
    client.execute()


if __name__ == "__main__":
    sys.exit(main())
