"""Pin the Colab install line of every notebook to the companion release it was written for.

One place sets the version: ``[project] version`` in ``pyproject.toml``. Release ``X.Y.Z`` is the
git tag ``vX.Y.Z``; every notebook's setup cell installs
``companion @ git+<repository url>@vX.Y.Z`` (the URL from ``_config.yml``), so a notebook opened
on Colab imports the companion it was executed with, not whatever the default branch holds.

``python -m companion.classroom.pin_companion`` (from the repository root) rewrites the install
line of every notebook (idempotent); ``tests/test_classroom.py`` checks that all of them carry
the pin. Bump the version, run this,
re-execute nothing (the line only runs on Colab), commit, and tag the release ``vX.Y.Z``.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

from . import repo_root


def pin(root: Path | None = None) -> str:
    """``git+<repository url>@v<version>`` for the checkout ``root`` (default: :func:`repo_root`)."""
    import tomllib  # Python 3.11+

    import yaml

    root = root or repo_root()
    version = tomllib.loads((root / "pyproject.toml").read_text())["project"]["version"]
    url = yaml.safe_load((root / "_config.yml").read_text())["repository"]["url"]
    return f"git+{url}@v{version}"


INSTALL = re.compile(r'("companion @ )git\+[^"@\s]+(?:@[^"\s]+)?(")')


def apply(path: Path, target: str | None = None) -> bool:
    """Pin the install line of one notebook's setup cell; returns whether it changed."""
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code")
    target = target or pin(repo_root(path.parent))
    new = INSTALL.sub(lambda m: m.group(1) + target + m.group(2), cell.source, count=1)
    if new == cell.source:
        return False
    cell.source = new
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
    return True


def main(argv: list[str]) -> int:
    root = repo_root()
    target = pin(root)
    for p in [Path(a) for a in argv] or sorted((root / "notebooks").glob("*.ipynb")):
        if apply(p, target):
            print(f"pinned {p.name} to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
