"""Checks of the project itself: dependencies, imports, notebooks, the table of contents."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _norm(req: str) -> str:
    return re.sub(r"\s+", "", req.split("#")[0]).lower().replace('"', "'")


def test_environment_yml_matches_pyproject():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = set(map(_norm, project["dependencies"]))
    for extra in project["optional-dependencies"].values():
        declared |= set(map(_norm, extra))
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    listed = {_norm(r) for r in pip if not r.startswith("-e")}
    assert listed == declared, f"only in environment.yml: {listed - declared}; only in pyproject: {declared - listed}"


def test_import_companion_imports_no_framework():
    code = ("import sys, companion, companion.data, companion.metrics, companion.baselines, "
            "companion.exercises, companion.errata, companion.results; "
            "print(sorted(m for m in ('torch', 'tensorflow', 'keras', 'jax') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_device_and_seed():
    import numpy as np
    import torch

    import companion

    assert companion.device().type in ("cpu", "cuda", "mps")
    companion.seed_everything(7)
    a = (np.random.rand(3), torch.rand(3))
    companion.seed_everything(7)
    b = (np.random.rand(3), torch.rand(3))
    assert np.array_equal(a[0], b[0]) and torch.equal(a[1], b[1])
    with pytest.raises(TypeError):
        companion.seed_everything("7")
    with pytest.raises(ValueError, match="unknown frameworks"):
        companion.seed_everything(1, frameworks=["mxnet"])


def _cells(nb):
    return json.loads(nb.read_text(encoding="utf-8"))["cells"]


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_executed_and_installs_from_the_configured_repository(nb):
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    code = [c for c in _cells(nb) if c["cell_type"] == "code"]
    counts = [c.get("execution_count") for c in code]
    assert counts == list(range(1, len(code) + 1)), "re-run the notebook top to bottom (make notebooks)"
    assert not any(o.get("output_type") == "error" for c in code for o in c.get("outputs", []))
    setup = "".join(code[0]["source"])
    assert '"google.colab" in sys.modules' in setup and f"git+{url}" in setup
    assert "FULL_SIZE = False" in "".join("".join(c["source"]) for c in code[:3])


def test_every_notebook_starts_with_the_same_setup_cell():
    first = {nb.name: "".join(next(c for c in _cells(nb) if c["cell_type"] == "code")["source"])
             for nb in NOTEBOOKS}
    reference = first.get("01_behavior_data.ipynb", "")
    setup = reference[: reference.index("FULL_SIZE")] if "FULL_SIZE" in reference else reference
    different = [name for name, src in first.items() if not src.startswith(setup)]
    assert not different, f"setup cell differs from chapter 1's in {different}"


def test_every_notebook_is_in_the_table_of_contents():
    toc = (ROOT / "_toc.yml").read_text()
    missing = [nb.stem for nb in NOTEBOOKS if f"notebooks/{nb.stem}" not in toc]
    assert not missing, f"add to _toc.yml: {missing}"


TOP_LEVEL = {"book", "notebooks", "companion", "tests", "environment.yml", "_config.yml", "README.md",
             "_toc.yml", "pyproject.toml", "Makefile", ".ci", ".gitignore", ".gitattributes"}


def test_top_level_layout_is_the_designed_one():
    """The repository's top level holds only the design's entries (tracked files)."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    files = subprocess.run(["git", "ls-files"], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    top = {line.split("/")[0] for line in files.splitlines() if line}
    assert top <= TOP_LEVEL, f"not in the design's top level: {sorted(top - TOP_LEVEL)}"


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make book" in readme


def test_keras_models_also_run_on_the_torch_backend():
    """companion.keras is backend-neutral Keras 3: its tests pass with KERAS_BACKEND=torch too
    (that is how the Keras side is checked on a GPU machine without TensorFlow)."""
    pytest.importorskip("keras")
    files = [str(p) for p in sorted((ROOT / "tests").glob("test_*.py"))
             if p.name != "test_project.py" and "keras" in p.read_text()]
    run = subprocess.run([sys.executable, "-m", "pytest", *files, "-q", "-k", "keras", "-p", "no:cacheprovider"],
                         capture_output=True, text=True, cwd=ROOT, env={**os.environ, "KERAS_BACKEND": "torch"})
    assert run.returncode == 0 and " passed" in run.stdout, run.stdout[-3000:] + run.stderr[-2000:]


def test_best_time_takes_the_minimum_and_syncs():
    from companion.timing import best_time

    calls = []
    t = best_time(lambda: calls.append("fn"), 4, sync=lambda: calls.append("sync"))
    assert calls == ["fn", "sync"] * 4 and 0 <= t < 1
    with pytest.raises(ValueError, match="repeats"):
        best_time(lambda: None, 0)


# --- portable regression tests (tests/nbval_tolerance.py) ---------------------------------------

MARKERS = ("NBVAL_IGNORE_OUTPUT", "NBVAL_TOLERANCE", "NBVAL_SKIP")


def _excused_cells():
    """(notebook, code-cell index, marker, the line after the marker) for every excused cell."""
    for nb in NOTEBOOKS:
        code = [c for c in _cells(nb) if c["cell_type"] == "code"]
        for i, cell in enumerate(code):
            lines = "".join(cell["source"]).splitlines()
            for j, line in enumerate(lines):
                marker = next((m for m in MARKERS if line.strip().lstrip("#").strip().startswith(m)), None)
                if line.strip().startswith("#") and marker:
                    yield nb.name, i, marker, lines[j + 1] if j + 1 < len(lines) else ""
            tags = set(cell.get("metadata", {}).get("tags", []))
            if tags & {"nbval-ignore-output", "nbval-skip", "raises-exception"}:
                yield nb.name, i, "tag", ""


def test_excused_cells_are_few_and_say_why():
    excused = list(_excused_cells())
    no_reason = [(nb, i, m) for nb, i, m, why in excused if not (why.strip().startswith("#") and
                                                                 len(why.strip("# ()")) > 10)]
    assert not no_reason, f"an excused cell needs a comment line saying why, right after the marker: {no_reason}"
    cells = sum(1 for nb in NOTEBOOKS for c in _cells(nb) if c["cell_type"] == "code")
    assert len({(nb, i) for nb, i, *_ in excused}) <= 0.10 * cells, (
        f"{len(excused)} of {cells} code cells are ignored or widened: keep them at or under 10%")


def test_round_off_is_printed_as_a_bound_not_as_digits():
    """A float round-off difference printed as 4.5e-08 changes on every CPU; print the bound."""
    noisy = re.compile(r"(?i)diff[^\n]*?\b\d(?:\.\d+)?e-(?:0[5-9]|[1-9]\d)\b")
    found = []
    for nb in NOTEBOOKS:
        for i, cell in enumerate(c for c in _cells(nb) if c["cell_type"] == "code"):
            for out in cell.get("outputs", []):
                text = "".join(out.get("text", "")) + "".join(out.get("data", {}).get("text/plain", ""))
                found += [(nb.name, i, m.group()) for m in noisy.finditer(text)]
    assert not found, f"round-off printed as digits: {found}"


def test_the_numeric_comparison_is_loaded_and_the_portable_run_exists():
    import tomllib

    ini = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert "-p nbval_tolerance" in ini["addopts"] and "tests" in ini["pythonpath"]
    make = (ROOT / "Makefile").read_text()
    assert "test-portable:" in make
    for setting in ("ATEN_CPU_CAPABILITY=default", "OPENBLAS_CORETYPE=Sandybridge", "NPY_DISABLE_CPU_FEATURES"):
        assert setting in make
    assert "make test-portable" in (ROOT / "README.md").read_text()


def test_default_kernels_sees_forced_kernels(monkeypatch):
    from companion.timing import FORCED_KERNELS, default_kernels

    for name in FORCED_KERNELS:
        monkeypatch.delenv(name, raising=False)
    assert default_kernels()
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "SSE41")
    assert not default_kernels()


def test_references_bib_parses_entry_by_entry():
    """A missing brace swallows the next entries (and breaks `make book`): every @entry must parse."""
    from pybtex.database import parse_string
    from pybtex.scanner import PybtexSyntaxError

    text = (ROOT / "book" / "references.bib").read_text(encoding="utf-8")
    starts = [m.start() for m in re.finditer(r"^@\w+\{", text, flags=re.M)]
    keys = re.findall(r"^@\w+\{([^,\s]+),", text, flags=re.M)
    assert len(keys) == len(set(keys)), "duplicate citation keys"
    for a, b in zip(starts, starts[1:] + [len(text)]):
        chunk = text[a:b]
        try:
            db = parse_string(chunk, "bibtex")
        except PybtexSyntaxError as e:
            raise AssertionError(f"references.bib: cannot parse {chunk.splitlines()[0]!r}: {e}") from None
        assert len(db.entries) == 1, f"references.bib: {chunk.splitlines()[0]!r} is not one closed entry"
