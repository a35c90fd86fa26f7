"""The benchmark's measuring machinery (``companion.benchmark``): timing, memory, the results file."""
import json

import numpy as np
import pytest

from companion import benchmark, results
from companion.training import History

torch = pytest.importorskip("torch")


def _fake_epoch(seconds):
    calls = iter(seconds)

    def epoch():
        s = next(calls)
        return History(train_loss=[0.0], valid=[np.nan], epoch_seconds=[s], epoch_cpu_seconds=[s / 2])
    return epoch


def test_measure_times_a_second_epoch_only_when_the_first_is_short():
    short = benchmark.measure(_fake_epoch([2.0, 1.5]), again_below_s=30)
    assert short["epochs_timed"] == 2 and short["epoch_s"] == 1.5 and short["epoch_cpu_s"] == 0.75
    long = benchmark.measure(_fake_epoch([40.0]), again_below_s=30)
    assert long["epochs_timed"] == 1 and long["epoch_s"] == 40.0
    with pytest.raises(RuntimeError, match="nothing was trained"):
        benchmark.measure(_fake_epoch([0.0, 0.0]))


def test_peak_memory_sees_an_allocation():
    def epoch():
        block = np.ones(64 * 2**20 // 8)  # 64 MB, held for a moment
        import time
        time.sleep(0.05)
        del block
        return History(train_loss=[0.0], valid=[np.nan], epoch_seconds=[1.0], epoch_cpu_seconds=[1.0])
    m = benchmark.measure(epoch)
    if m["peak_mb"] is None:
        pytest.skip("no /proc/self/statm here")
    assert m["peak_mb"] > 48


def test_last_position_is_the_causal_models_last_logits():
    from companion.torch import GRU4Rec

    model = GRU4Rec(20, embedding_dim=8, hidden_size=8).eval()
    wrapped = benchmark._last_position(model)
    x = torch.randint(1, 20, (3, 7))
    assert wrapped.causal is False and torch.equal(wrapped(x), model(x)[:, -1])


def test_run_writes_a_results_file_with_every_workload(tmp_path):
    rows, path = benchmark.run(["Mult-VAE", "DQN"], "cpu", quick=True, out=tmp_path, progress=False)
    assert path.name == "benchmark_quick.json"
    saved = results.load("benchmark_quick", directory=tmp_path)
    assert saved["config"]["quick"] is True and saved["config"]["torch"] == torch.__version__
    assert "protocol" in saved and set(saved["metrics"]) == {"Mult-VAE", "DQN"}
    for row in rows.values():
        assert row["epoch_s"] > 0 and row["targets"] > 0
        assert row["targets_per_s"] == pytest.approx(row["targets"] / row["epoch_s"])
    assert rows["DQN"]["device"] == "cpu"
    json.dumps(saved)  # plain JSON


def test_unknown_workload_is_named():
    with pytest.raises(ValueError, match="unknown workload 'BERT4Rec'"):
        benchmark.run(["BERT4Rec"], progress=False)
    with pytest.raises(ValueError, match="unknown workload"):
        benchmark.run_workload("nope")


def test_full_size_copy_flips_the_switch_and_nothing_else():
    import importlib.util
    from pathlib import Path

    import nbformat

    path = Path(__file__).parents[1] / ".ci" / "full_size.py"
    spec = importlib.util.spec_from_file_location("full_size", path)
    full_size = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(full_size)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("FULL_SIZE = False"),
                                         nbformat.v4.new_code_cell("x = 1\nFULL_SIZE = False  # switch\ny = 2")])
    out = full_size.full_size_copy(nb)
    assert out.cells[0].source == "FULL_SIZE = False" and out.cells[1].source == "x = 1\nFULL_SIZE = True  # switch\ny = 2"
    with pytest.raises(ValueError, match="no 'FULL_SIZE = False' line"):
        full_size.full_size_copy(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("FULL = 1")]))
    for chapter in sorted((path.parents[1] / "notebooks").glob("[0-9]*.ipynb")):  # every chapter can be run
        full_size.full_size_copy(nbformat.read(chapter, as_version=4))
