"""Write the student copy of every chapter (``make student``).

Driven by cell tags, with nbconvert's ``TagRemovePreprocessor``:

* cells tagged ``solution`` are removed;
* cells tagged ``exercise`` keep their source (the questions, and the stubs with their
  ``check(...)`` calls) but lose their outputs;
* everything else (explanations, code, stored outputs, the worked ``example``) is unchanged.

Usage: ``python -m companion.classroom.student [NOTEBOOK_DIR] [OUT_DIR]`` (defaults
``notebooks``, ``_build/student``). The copies import the installed companion, whose answer key holds only
salted digests (``companion/exercise_keys.json``).
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbconvert.exporters import NotebookExporter
from nbconvert.preprocessors import TagRemovePreprocessor
from traitlets.config import Config


def exporter() -> NotebookExporter:
    c = Config()
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_cell_tags = {"solution"}
    c.TagRemovePreprocessor.remove_all_outputs_tags = {"exercise"}
    c.NotebookExporter.preprocessors = [TagRemovePreprocessor]
    return NotebookExporter(config=c)


def student_copy(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    body, _ = exporter().from_notebook_node(nb)
    out = nbformat.reads(body, as_version=4)
    for cell in out.cells:
        if cell.cell_type == "code" and "exercise" in cell.metadata.get("tags", []):
            cell.execution_count = None   # not run yet, like the outputs
    return out


def main(argv: list[str]) -> int:
    src = Path(argv[0]) if argv else Path("notebooks")
    dst = Path(argv[1]) if len(argv) > 1 else Path("_build/student")
    dst.mkdir(parents=True, exist_ok=True)
    for path in sorted(src.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        nbformat.write(student_copy(nb), dst / path.name)
        n_sol = sum("solution" in c.metadata.get("tags", []) for c in nb.cells)
        print(f"{dst / path.name}: {n_sol} solution cell(s) removed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
