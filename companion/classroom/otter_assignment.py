"""Turn a chapter's exercises into an otter-grader assignment.

``python -m companion.classroom.otter_assignment TOPIC OUT_DIR`` (from the repository root)
writes ``OUT_DIR/master/<topic>.ipynb`` in Otter Assign's notebook format (an ``ASSIGNMENT
CONFIG`` raw cell; per question a ``BEGIN QUESTION`` block with the prompt, a solution cell and
a test cell) and runs ``otter assign`` on it, which writes ``OUT_DIR/dist/student/<topic>.ipynb``
(the assignment students get: solutions replaced by ``...``) and ``OUT_DIR/dist/autograder/``
(the autograder zip for ``otter run`` or ``otter grade``, and Gradescope).

The questions and prompts come from the chapter's ``exercise`` cell; each solution is the
instructor key's reference solution (``tests/answer_key/`` in the repository, not installed),
written out as a call; the tests call ``companion.exercises.check(..., quiet=True)``, so otter
grades with the same digests the book uses and the autograder zip holds no plain answer either.
Exercises whose answer is a function, or that have no check, are left out.

Grading one submission without Docker::

    otter run -a OUT_DIR/dist/autograder/<topic>-autograder_*.zip -o results submission.ipynb
"""
from __future__ import annotations

import importlib
import inspect
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat

from . import repo_root


def answer_key(root: Path | None = None):
    """The instructor's key, ``tests/answer_key`` of the checkout ``root``, as a module."""
    tests = str((root or repo_root()) / "tests")
    if tests not in sys.path:
        sys.path.insert(0, tests)
    return importlib.import_module("answer_key")


CONFIG = """# ASSIGNMENT CONFIG
name: {topic}
export_cell: false
check_all_cell: false
generate:
  pdf: false
run_tests: true
"""


def _prompts(topic: str, root: Path) -> dict[str, str]:
    """The question text of each exercise, from the chapter's exercise cell."""
    nb = nbformat.read(root / "notebooks" / f"{answer_key(root).CHAPTERS[topic]}.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "markdown" and "exercise" in c.metadata.get("tags", []))
    items = re.split(r"^\d+\.\s", cell.source, flags=re.M)[1:]
    out = {}
    for item in items:
        m = re.search(r'check\("([\w.]+)"', item)
        if m:
            out[m.group(1)] = re.sub(r"\s+", " ", item).strip()
    return out


def _solution_source(ex) -> str:
    """The reference solution as code a student could have written: its body, returning ``answer``."""
    src = textwrap.dedent(inspect.getsource(ex.solution))
    body = textwrap.dedent("\n".join(src.splitlines()[1:]))
    body = re.sub(r"^return (.*)$", r"answer = \1", body, flags=re.M)
    return body


def master_notebook(topic: str, root: Path | None = None) -> nbformat.NotebookNode:
    """The Otter Assign master notebook of one topic (``"nn_essentials"``, ...)."""
    root = root or repo_root()
    prompts = _prompts(topic, root)
    exercises = [e for e in answer_key(root).all_exercises()
                 if e.name.startswith(topic + ".") and not e.example and not e.retired and e.kind != "property"
                 and e.name in prompts]
    cells = [nbformat.v4.new_raw_cell(CONFIG.format(topic=topic)),
             nbformat.v4.new_markdown_cell(f"# Graded exercises: {topic}\n\nAnswer each question by setting "
                                           "the variable in its cell; run the test cell below it to see whether "
                                           "it passes."),
             nbformat.v4.new_code_cell("import numpy as np\nfrom companion.exercises import check")]
    for i, ex in enumerate(exercises, 1):
        var = ex.name.split(".")[1]
        cells += [
            nbformat.v4.new_raw_cell(f"# BEGIN QUESTION\nname: q{i}\npoints: 1"),
            nbformat.v4.new_markdown_cell(f"**Question {i}.** {prompts[ex.name]}\n\nPut your answer in `{var}`."),
            nbformat.v4.new_raw_cell("# BEGIN SOLUTION"),
            nbformat.v4.new_code_cell("# BEGIN SOLUTION\n" + _solution_source(ex).rstrip()
                                      + f"\n# END SOLUTION\n{var} = answer  # SOLUTION"),
            nbformat.v4.new_raw_cell("# END SOLUTION"),
            nbformat.v4.new_raw_cell("# BEGIN TESTS"),
            nbformat.v4.new_code_cell(f'assert check("{ex.name}", {var}, quiet=True)'),
            nbformat.v4.new_raw_cell("# END TESTS"),
            nbformat.v4.new_raw_cell("# END QUESTION"),
        ]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def build(topic: str, out: Path, root: Path | None = None) -> Path:
    """Write the master notebook and run ``otter assign``; returns ``out/dist``."""
    master = out / "master" / f"{topic}.ipynb"
    master.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(master_notebook(topic, root), master)
    subprocess.run([str(Path(sys.executable).with_name("otter")), "assign", "--no-pdfs", str(master),
                    str(out / "dist")], check=True)
    return out / "dist"


if __name__ == "__main__":
    topic, out = sys.argv[1], Path(sys.argv[2])
    print(build(topic, out))
