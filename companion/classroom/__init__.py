"""Teacher-facing tools of the classroom kit (issue 13), run from a checkout of the book:

* ``python -m companion.classroom.student [NOTEBOOK_DIR] [OUT_DIR]``: student copies
  (solutions removed, exercise outputs cleared; ``make student``);
* ``python -m companion.classroom.otter_assignment TOPIC OUT_DIR``: an otter-grader
  assignment from a chapter's exercises;
* ``python -m companion.classroom.pin_companion``: pin every notebook's Colab install line
  to the release ``v<version>`` of ``pyproject.toml``.

Importing this package (or its modules) imports neither PyTorch nor TensorFlow. The plain
answer key is not part of the installed package: it lives in the repository, in
``tests/answer_key/``.
"""
from __future__ import annotations

from pathlib import Path

__all__ = ["repo_root"]


def repo_root(start: Path | None = None) -> Path:
    """The book's checkout: ``start`` (default: the working directory) or a folder above it,
    else the checkout this package is installed from in editable mode."""
    here = Path(start or Path.cwd()).resolve()
    candidates = [here, *here.parents, Path(__file__).resolve().parents[2]]
    for folder in candidates:
        if (folder / "notebooks").is_dir() and (folder / "pyproject.toml").is_file():
            return folder
    raise FileNotFoundError("run this from a checkout of the book (a folder with notebooks/ and pyproject.toml)")
