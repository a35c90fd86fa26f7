"""The framework-neutral pieces every chapter shares: batching, the epoch loop's bookkeeping, the
paired user bootstrap, recorded results, seeding, the next-item model contract."""
import json
import math
import subprocess
import sys

import numpy as np
import pytest

import companion
from companion import results
from companion.data import batch_stream, batches
from companion.evaluation import paired_bootstrap
from companion.next_item import NextItemModel, Scorer, early_stopping_metric, validation
from companion.training import History, run_epochs


# ----------------------------------------------------------------------------- batching
def test_batch_stream_new_order_each_epoch_and_repeatable():
    x, y = np.arange(10), np.arange(10) * 2
    stream = batch_stream(x, y, batch_size=4, seed=3)
    e1, e2 = list(stream()), list(stream())
    assert [len(b[0]) for b in e1] == [4, 4, 2]
    assert all((b[1] == 2 * b[0]).all() for b in e1)
    first = np.concatenate([b[0] for b in e1])
    assert sorted(first) == list(range(10)) and not np.array_equal(first, np.concatenate([b[0] for b in e2]))
    again = batch_stream(x, y, batch_size=4, seed=3)
    assert np.array_equal(np.concatenate([b[0] for b in again()]), first)


def test_batch_stream_dicts_lists_and_custom_permutation():
    x = {"a": np.arange(6), "b": np.arange(6) + 10}
    stream = batch_stream(x, [np.arange(6), np.arange(6)], np.arange(6), batch_size=6,
                          permutation=lambda n: np.arange(n)[::-1])
    (bx, bl, by), = list(stream())
    assert bx["a"].tolist() == [5, 4, 3, 2, 1, 0] and (bx["b"] - bx["a"] == 10).all()
    assert isinstance(bl, list) and bl[0].tolist() == by.tolist()
    with pytest.raises(ValueError, match="different lengths"):
        list(batches(np.arange(3), np.arange(4)))


def test_batch_stream_bucketing_groups_similar_lengths():
    lengths = np.array([1, 9, 1, 9, 1, 9, 1, 9])
    stream = batch_stream(np.arange(8), batch_size=4, bucket_by=lengths, pool=2, seed=0)
    for (idx,) in stream():
        assert len(set(lengths[idx])) == 1


def test_torch_permutation_reproduces_torch_randperm():
    torch = pytest.importorskip("torch")
    from companion.torch import torch_permutation

    perm = torch_permutation(5)
    gen = torch.Generator().manual_seed(5)
    assert torch.equal(perm(7), torch.randperm(7, generator=gen))
    assert torch.equal(perm(7), torch.randperm(7, generator=gen))


# ----------------------------------------------------------------------------- run_epochs
def _loop(scores, patience=None, mode="max"):
    state = {"w": 0}
    it = iter(scores)

    def train_epoch(epoch):
        state["w"] = epoch
        return 1.0 / epoch

    hist = run_epochs(train_epoch, evaluate=lambda: next(it), get_weights=lambda: state["w"],
                      set_weights=lambda w: state.update(w=w), epochs=len(scores), patience=patience, mode=mode,
                      metric="auc")
    return hist, state["w"]


def test_run_epochs_early_stopping_and_best_weights():
    hist, w = _loop([0.1, 0.5, 0.4, 0.3, 0.9], patience=2)
    assert hist.epochs == 4 and hist.best_epoch == 2 and hist.best_score == 0.5 and w == 2
    assert hist.metric == "auc" and len(hist.epoch_seconds) == len(hist.epoch_cpu_seconds) == 4
    assert all(s >= 0 for s in hist.epoch_cpu_seconds)
    hist, w = _loop([3.0, 1.0, 2.0], mode="min")
    assert hist.best_epoch == 2 and w == 2


def test_run_epochs_skipped_evaluations_are_nan_and_never_best():
    hist, w = _loop([None, 0.2, None, 0.1])
    assert math.isnan(hist.valid[0]) and math.isnan(hist.valid[2])
    assert hist.best_epoch == 2 and w == 2


def test_run_epochs_without_validation_watches_the_training_loss():
    state = {}
    hist = run_epochs(lambda e: 5.0 - e, evaluate=None, get_weights=lambda: 1,
                      set_weights=lambda w: state.update(w=w), epochs=3)
    assert hist.metric == "train_loss" and hist.best_epoch == 3 and state == {"w": 1}
    with pytest.raises(FloatingPointError):
        run_epochs(lambda e: float("nan"), evaluate=None, get_weights=lambda: 0, set_weights=lambda w: None, epochs=1)
    with pytest.raises(ValueError, match="mode"):
        run_epochs(lambda e: 1.0, evaluate=None, get_weights=lambda: 0, set_weights=lambda w: None, epochs=1,
                   mode="up")


def test_history_fields_are_declared():
    names = set(History.__dataclass_fields__)
    assert {"train_loss", "valid", "epoch_seconds", "epoch_cpu_seconds", "best_epoch", "best_score",
            "metric"} <= names


def test_early_stopping_metric_follows_ks():
    assert early_stopping_metric((10,)) == "ndcg@10"
    assert early_stopping_metric((20, 5)) == "ndcg@20"

    calls = []

    def fake_evaluate(model, split, part, *, max_len, ks):
        calls.append((part, ks))
        return {f"ndcg@{k}": 0.1 * k for k in ks}

    evaluate, metric = validation(fake_evaluate, None, max_len=5, ks=(5, 10), eval_every=2)
    assert metric == "ndcg@5"
    assert evaluate(None) is None and evaluate(None) == pytest.approx(0.5)
    assert calls == [("valid", (5, 10))]


def test_fit_next_item_stops_on_the_first_k():
    pytest.importorskip("torch")
    from companion.data import leave_one_out
    from companion.torch import GRU4Rec, fit_next_item
    import pandas as pd

    rng = np.random.default_rng(0)
    rows = [(u, int(i), t) for u in range(1, 31) for t, i in enumerate(rng.integers(1, 12, size=8))]
    split = leave_one_out(pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"]))
    companion.seed_everything(0)
    hist = fit_next_item(GRU4Rec(split.n_items, embedding_dim=4, hidden_size=4), split, max_len=5, epochs=2,
                         ks=(5, 10), device="cpu")
    assert hist.metric == "ndcg@5" and len(hist.epoch_cpu_seconds) == 2


# ----------------------------------------------------------------------------- the paired user bootstrap
def test_paired_bootstrap_resamples_whole_users():
    y = np.array([0, 1, 0, 1, 1, 0])
    users = np.array([1, 1, 2, 2, 3, 3])
    seen = []

    def metric(yt, ys):
        seen.append(len(yt))
        return float(np.mean(yt == (ys > 0.5)))

    a, b = np.array([0.1, 0.9, 0.2, 0.8, 0.7, 0.3]), np.full(6, 0.6)
    r = paired_bootstrap(metric, y, {"a": a, "b": b}, groups=users, n_boot=50, seed=1)
    assert all(n == 6 for n in seen)  # three users of two rows each, every time
    assert r.n_groups == 3 and r.estimate["a"] == 1.0
    assert (r.difference("a", "b") >= 0).all() and r.se("a") == 0.0
    table = r.differences({"a - b": ("a", "b")})
    assert list(table.columns) == ["difference", "2.5%", "97.5%"]


def test_paired_bootstrap_reproduces_the_inline_versions():
    from sklearn.metrics import roc_auc_score

    rng0 = np.random.default_rng(5)
    y = rng0.integers(0, 2, 200)
    p = np.clip(y * 0.3 + rng0.uniform(size=200), 0, 1)
    users = rng0.integers(0, 60, 200)
    # chapter 2's former inline code: users in sorted order, G draws of G users per resample
    groups = [np.flatnonzero(users == u) for u in np.unique(users)]
    rng = np.random.default_rng(0)
    boot = [roc_auc_score(y[idx], p[idx])
            for idx in (np.concatenate([groups[j] for j in rng.integers(0, len(groups), len(groups))])
                        for _ in range(30))]
    r = paired_bootstrap(roc_auc_score, y, {"m": p}, groups=users, n_boot=30, seed=0)
    assert np.allclose(r.draws["m"], boot)
    # chapter 4's former inline code, ungrouped: rng.choice over rows
    rng = np.random.default_rng(0)
    draws = [roc_auc_score(y[b], p[b]) for b in (rng.choice(200, size=200, replace=True) for _ in range(30))]
    assert np.allclose(paired_bootstrap(roc_auc_score, y, {"m": p}, n_boot=30).draws["m"], draws)


def test_paired_bootstrap_errors():
    with pytest.raises(ValueError, match="rows"):
        paired_bootstrap(lambda a, b: 0.0, [0, 1], {"m": [0.1]})
    with pytest.raises(ValueError, match="two groups"):
        paired_bootstrap(lambda a, b: 0.0, [0, 1], {"m": [0.1, 0.2]}, groups=[1, 1])


# ----------------------------------------------------------------------------- recorded results
def test_record_writes_where_the_caller_says_and_load_falls_back(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shipped = results.available()
    assert "next_item_ml100k" in shipped  # the book's recorded runs ship in the package
    path = results.record("demo", {"x": 1.0}, device="test")
    assert path == tmp_path / "results" / "demo.json"  # default: results/ beside the notebook (cwd)
    assert results.load("demo")["metrics"] == {"x": 1.0}
    assert results.load("next_item_ml100k") == json.loads((results.PACKAGE_DIR / "next_item_ml100k.json").read_text())
    other = results.record("demo", {"x": 2.0}, device="test", directory=tmp_path / "elsewhere")
    assert other.parent.name == "elsewhere" and results.load("demo", directory=tmp_path / "elsewhere")["metrics"]["x"] == 2
    assert "demo" in results.available() and not (results.PACKAGE_DIR / "demo.json").exists()
    with pytest.raises(FileNotFoundError, match="FULL_SIZE"):
        results.load("never_recorded")
    with pytest.raises(ValueError):
        results.record("../escape", {})


def test_local_result_shadows_the_shipped_copy(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    results.record("next_item_ml100k", {"local": True}, device="test")
    assert results.load("next_item_ml100k")["metrics"] == {"local": True}


# ----------------------------------------------------------------------------- seeding, contract, layout
def test_seed_everything_sets_threads_by_argument():
    torch = pytest.importorskip("torch")
    assert not hasattr(companion, "THREADS")
    before = torch.get_num_threads()
    try:
        companion.seed_everything(0, threads=2)
        assert torch.get_num_threads() == 2
        companion.seed_everything(0, threads=None)
        assert torch.get_num_threads() == 2
        # one by default: two test workers (make test) must not stall each other's thread pools
        companion.seed_everything(0)
        assert torch.get_num_threads() == 1
        with pytest.raises(ValueError, match="threads"):
            companion.seed_everything(0, threads=0)
    finally:
        torch.set_num_threads(before)


def test_next_item_contract_is_a_protocol():
    pytest.importorskip("torch")
    from companion.baselines import Popularity
    from companion.torch import Caser, GRU4Rec, SASRec

    for m in (GRU4Rec(5), Caser(5), SASRec(5, 4)):
        assert isinstance(m, NextItemModel)
    assert isinstance(Popularity(), Scorer) and not isinstance(Popularity(), NextItemModel)


def test_forecasting_is_a_package_with_one_module_per_job():
    import companion.forecasting as fc

    assert hasattr(fc, "__path__")
    for name in ("windows", "forecasters", "walk_forward", "significance"):
        __import__(f"companion.forecasting.{name}")
    assert fc.walk_forward.__module__ == "companion.forecasting.walk_forward"


def test_neutral_modules_import_no_framework():
    code = ("import sys, companion.forecasting, companion.evaluation, companion.training, companion.next_item, "
            "companion.data; print(sorted(m for m in ('torch', 'tensorflow', 'keras', 'jax') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_dead_code_and_duplicates_are_gone():
    import importlib
    import pathlib

    from companion import plotting
    from companion.data.sequences import SequenceSplit

    assert not hasattr(plotting, "plot_curves")
    assert "extra" not in SequenceSplit.__dataclass_fields__
    root = pathlib.Path(companion.__file__).parent
    sources = {p: p.read_text() for p in root.rglob("*.py")}
    assert [p.name for p, s in sources.items() if "DAY = 86_400" in s] == ["events.py"]
    assert not any('replace("-", "-")' in s for s in sources.values())
    assert importlib.util.find_spec("companion.features") is None
