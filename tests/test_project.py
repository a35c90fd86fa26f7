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
