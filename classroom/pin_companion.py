"""Pin the Colab install line of every notebook to the companion release it was written for.

One place sets the version: ``[project] version`` in ``pyproject.toml``. Release ``X.Y.Z`` is the
git tag ``vX.Y.Z``; every notebook's setup cell installs
``companion @ git+<repository url>@vX.Y.Z`` (the URL from ``_config.yml``), so a notebook opened
on Colab imports the companion it was executed with, not whatever the default branch holds.

``python classroom/pin_companion.py`` rewrites the install line of every notebook (idempotent);
``tests/test_classroom.py`` checks that all of them carry the pin. Bump the version, run this,
re-execute nothing (the line only runs on Colab), commit, and tag the release ``vX.Y.Z``.
"""
from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]


def pin() -> str:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    return f"git+{url}@v{version}"


INSTALL = re.compile(r'("companion @ )git\+[^"@\s]+(?:@[^"\s]+)?(")')


def apply(path: Path) -> bool:
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code")
    new = INSTALL.sub(lambda m: m.group(1) + pin() + m.group(2), cell.source, count=1)
    if new == cell.source:
        return False
    cell.source = new
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
    return True


if __name__ == "__main__":
    for p in [Path(a) for a in sys.argv[1:]] or sorted((ROOT / "notebooks").glob("*.ipynb")):
        if apply(p):
            print(f"pinned {p.name} to {pin()}")
