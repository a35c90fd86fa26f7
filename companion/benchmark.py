"""Time per training epoch and peak memory of the book's models at their full-size configurations.

Run it as ``python -m companion.benchmark`` (or ``make bench``); it writes
``companion/results/benchmark.json`` (device, date, commit, library versions), which the results
appendix renders as a table and a plot. ``--device cuda`` measures on a GPU, ``--only`` picks
workloads, ``--out`` writes elsewhere.

What is measured, for every workload (:data:`WORKLOADS`): the wall time of one training epoch
through the chapter's own training function (backward pass and optimiser step included,
validation excluded: :attr:`companion.training.History.epoch_seconds`), its CPU time, and the peak
memory of training (CUDA: ``torch.cuda.max_memory_allocated``; CPU: the peak resident set size
during the epoch minus the size before it, sampled every 5 ms). The first epoch pays for warm-up
(allocations, cuDNN autotuning), so when it is short a second epoch is timed and the faster of the
two is reported. Each workload runs in its own Python process, so its memory is its own.

Equal work: the next-item models are timed twice where both exist, trained as the companion trains
them (one forward pass over a window gives a target at every position) and as RecBole trains them
(every prefix is its own row and gives one target, the last). Both see every training target once
per epoch, so ``targets_per_s`` compares the same work done two ways.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path

__all__ = ["WORKLOADS", "measure", "run_workload", "run", "main"]

#: RecBole's ``train_batch_size`` for its sequential models: rows (prefixes) per batch.
RECBOLE_BATCH = 2048


# ----------------------------------------------------------------------------- memory
def _rss_bytes() -> int | None:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


class _PeakMemory:
    """Peak memory of what runs inside the ``with`` block, in bytes above the level before it."""

    def __init__(self, device: str):
        self.cuda = device.startswith("cuda")
        self.peak = None

    def __enter__(self):
        if self.cuda:
            import torch

            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            self.base = torch.cuda.memory_allocated()
            return self
        self.base = _rss_bytes()
        self.top, self.stop = self.base, threading.Event()
        if self.base is not None:
            self.thread = threading.Thread(target=self._sample, daemon=True)
            self.thread.start()
        return self

    def _sample(self):
        while not self.stop.wait(0.005):
            self.top = max(self.top, _rss_bytes() or 0)

    def __exit__(self, *exc):
        if self.cuda:
            import torch

            torch.cuda.synchronize()
            self.peak = torch.cuda.max_memory_allocated() - self.base
        elif self.base is not None:
            self.stop.set()
            self.thread.join()
            self.peak = max(self.top, _rss_bytes() or 0) - self.base
        return False


def measure(train_epoch, device: str = "cpu", *, again_below_s: float = 30.0) -> dict:
    """Time ``train_epoch()`` (one epoch; returns a History) and its peak memory.

    When the first epoch takes less than ``again_below_s`` seconds a second one is run and the
    faster is reported (the first pays for warm-up). Returns ``epoch_s`` (wall), ``epoch_cpu_s``,
    ``peak_mb`` (None where it cannot be measured) and ``epochs_timed``.
    """
    times = []
    with _PeakMemory(device) as mem:
        hist = train_epoch()
        times.append((hist.epoch_seconds[-1], hist.epoch_cpu_seconds[-1]))
        if times[0][0] < again_below_s:
            hist = train_epoch()
            times.append((hist.epoch_seconds[-1], hist.epoch_cpu_seconds[-1]))
    wall, cpu = min(times)
    if not wall > 0:
        raise RuntimeError(f"an epoch took {wall} s: nothing was trained")
    return {"epoch_s": wall, "epoch_cpu_s": cpu,
            "peak_mb": None if mem.peak is None else max(mem.peak, 0) / 2**20, "epochs_timed": len(times)}


# ----------------------------------------------------------------------------- workloads
def _ml100k_split(quick: bool = False):
    from .data import leave_one_out, load_movielens_100k

    ratings = load_movielens_100k()
    if quick:  # the tests: the first 60 users only
        ratings = ratings[ratings.user_id <= 60]
    return leave_one_out(ratings, name="ml-100k")


def _last_position(model):
    """A causal next-item model seen as a non-causal one (its last position's logits), so
    :func:`companion.torch.fit_next_item` trains it on every prefix, one target per row: RecBole's
    training."""
    import torch

    class LastPosition(torch.nn.Module):
        causal = False

        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            return self.inner(x)[:, -1]

    return LastPosition(model)


def _next_item(make_model, *, batch_size, lr, prefixes=False):
    def build(device, quick):
        import companion.torch as ct
        from .next_item import training_rows

        split = _ml100k_split(quick)
        model = make_model(split.n_items)
        if prefixes:
            model = _last_position(model)
        _, y = training_rows(model, split, 50)
        info = {"rows": int(len(y)), "targets": int((y > 0).sum()), "batch_size": batch_size}

        def epoch():
            return ct.fit_next_item(model, split, max_len=50, epochs=1, batch_size=batch_size, lr=lr,
                                    patience=None, eval_every=2, device=device)  # eval_every=2: no validation
        return epoch, info
    return build


def _gru4rec(n):
    from .torch import GRU4Rec
    return GRU4Rec(n, embedding_dim=64, hidden_size=128, dropout=0.3)


def _lstm4rec(n):
    from .torch import LSTM4Rec
    return LSTM4Rec(n, embedding_dim=64, hidden_size=128, dropout=0.3)


def _caser(n):
    from .torch import Caser
    return Caser(n, embedding_dim=64, L=5)


def _sasrec(n):
    from .torch import SASRec
    return SASRec(n, hidden=64, heads=2, num_blocks=2, inner=256, max_len=50, dropout=0.2)


def _seq2seq(kind):
    def build(device, quick):
        import companion.torch as ct
        from .data import generate_shop_log
        from .data.funnel import funnel_task
        from .torch import seq2seq as ts

        size = dict(n_users=200, days=30) if quick else dict(n_users=3000, days=120)  # chapter 8's full size
        shop = generate_shop_log(**size, n_items=400, n_categories=4, promo_every=0, seed=0)
        task = funnel_task(shop, k=4, max_len=16)
        V = task.vocab_size
        model = (ct.Seq2SeqGRU(V, 32, 128) if kind == "gru" else
                 ct.Seq2SeqTransformer(V, d_model=32, nhead=2, num_layers=1, dim_feedforward=64, dropout=0.1,
                                       max_len=16)).to(device)
        info = {"rows": len(task.train), "targets": int(len(task.train) * task.k), "batch_size": 256}
        return (lambda: ts.fit_seq2seq(model, task.train, task.valid, epochs=1, patience=None)), info
    return build


def _vae(device, quick):
    import companion.torch as ct
    from .data import load_movielens_100k
    from .data.user_item import strong_generalization_split

    split = strong_generalization_split(load_movielens_100k())
    x = split.train[:50] if quick else split.train
    model = ct.MultVAE(split.n_items)  # Liang et al.'s 600-200-600; chapter 9's batches of 100 users
    info = {"rows": int(x.shape[0]), "targets": int(x.nnz), "batch_size": 100}
    return (lambda: ct.fit_vae(model, x, epochs=1, batch_size=100, device=device)), info


def _dqn(device, quick):
    from . import rl
    from .torch import DQN
    from .training import History

    steps = 1_000 if quick else 10_000  # chapter 10: 10 000 steps per DQN run
    env = rl.ClickbaitSessionEnv()
    features = env.features
    n_in = features(env.reset(seed=0)[0]).shape[-1]
    kw = dict(features=features, gamma=1.0, learning_starts=500, train_freq=4, target_update=500,
              eps_fraction=0.3, batch_size=64, buffer_size=10_000)

    def epoch():  # "epoch" = one DQN run of `steps` environment steps, timed like an epoch
        agent = DQN(n_in, 3, hidden=(64, 64), lr=1e-3, seed=0)
        wall, cpu = time.perf_counter(), time.process_time()
        rl.train_dqn(agent, env, steps=steps, **kw)
        return History(train_loss=[0.0], valid=[float("nan")], epoch_seconds=[time.perf_counter() - wall],
                       epoch_cpu_seconds=[time.process_time() - cpu])
    return epoch, {"rows": steps, "targets": (steps - 500) // 4, "batch_size": 64, "cpu_only": True}


#: name -> (chapter, what one "epoch" is, builder(device, quick) -> (train_epoch, info)).
WORKLOADS = {
    "GRU4Rec, windows": ("6", "one pass over ML-100K's training windows (50 targets per row)",
                         _next_item(_gru4rec, batch_size=64, lr=2e-3)),
    "GRU4Rec, prefixes (RecBole's)": ("6", "every training prefix once, one target per row",
                                      _next_item(_gru4rec, batch_size=RECBOLE_BATCH, lr=2e-3, prefixes=True)),
    "LSTM4Rec, windows": ("6", "one pass over ML-100K's training windows",
                          _next_item(_lstm4rec, batch_size=64, lr=2e-3)),
    "Caser (prefixes)": ("6", "every training prefix once (Caser reads the last 5 items)",
                         _next_item(_caser, batch_size=256, lr=1e-3)),
    "SASRec, windows": ("7", "one pass over ML-100K's training windows",
                        _next_item(_sasrec, batch_size=64, lr=1e-3)),
    "SASRec, prefixes (RecBole's)": ("7", "every training prefix once, one target per row",
                                     _next_item(_sasrec, batch_size=RECBOLE_BATCH, lr=1e-3, prefixes=True)),
    "Seq2Seq GRU": ("8", "one pass over the funnel task's training rows (k = 4 targets each)", _seq2seq("gru")),
    "Seq2Seq Transformer": ("8", "one pass over the funnel task's training rows", _seq2seq("transformer")),
    "Mult-VAE": ("9", "one pass over ML-100K's training users (strong generalization)", _vae),
    "DQN": ("10", "one run of 10 000 environment steps (an update every 4), CPU only", _dqn),
}


def run_workload(name: str, device: str = "cpu", *, quick: bool = False) -> dict:
    """Build and measure one workload in this process; the row of the results file."""
    if name not in WORKLOADS:
        raise ValueError(f"unknown workload {name!r}; choose from {sorted(WORKLOADS)}")
    import companion

    companion.seed_everything(0, threads=2)  # the CI machine's two cores, as recorded in the results file
    chapter, unit, build = WORKLOADS[name]
    epoch, info = build(device, quick)
    dev = "cpu" if info.pop("cpu_only", False) else device
    row = {"chapter": chapter, "epoch": unit, "device": dev, **info, **measure(epoch, dev)}
    row["targets_per_s"] = row["targets"] / row["epoch_s"]
    return row


def _versions() -> dict:
    import numpy
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"python": platform.python_version(), "torch": torch.__version__, "numpy": numpy.__version__,
            "cpu": cpu, "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "cuda": torch.cuda.get_device_name() if torch.cuda.is_available() else None}


def run(names=None, device: str = "cpu", *, quick: bool = False, out=None, progress: bool = True):
    """Measure ``names`` (default: all), each in a fresh Python process; record the results file
    ``benchmark`` (``benchmark_quick`` with ``quick``) in ``out`` (default ``companion/results``).
    Returns ``(rows, path)``."""
    from tqdm.auto import tqdm

    from . import results

    names = list(WORKLOADS) if names is None else list(names)
    for n in names:
        if n not in WORKLOADS:
            raise ValueError(f"unknown workload {n!r}; choose from {sorted(WORKLOADS)}")
    rows = {}
    for n in tqdm(names, desc="benchmark", disable=not progress):
        cmd = [sys.executable, "-m", "companion.benchmark", "--one", n, "--device", device] + (["--quick"] if quick else [])
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"workload {n!r} failed:\n{done.stderr[-3000:]}")
        rows[n] = json.loads(done.stdout.strip().splitlines()[-1])
    out = Path(out) if out is not None else Path(__file__).parent / "results"
    name = "benchmark_quick" if quick else "benchmark"
    path = results.record(name, rows, {"device_asked": device, "quick": quick, **_versions()}, directory=out,
                          protocol="time per training epoch (wall, the faster of two when the first is under "
                                   "30 s; validation excluded) and peak training memory of each model at its "
                                   "chapter's full-size configuration, one fresh process per model; 'windows' "
                                   "and 'prefixes' train the same targets two ways (companion vs RecBole)")
    return rows, path


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m companion.benchmark", description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default=None, help="cpu or cuda (default: companion.device())")
    p.add_argument("--only", nargs="+", metavar="NAME", help=f"workloads to run, of: {', '.join(WORKLOADS)}")
    p.add_argument("--out", default=None, help="folder for benchmark.json (default: companion/results)")
    p.add_argument("--quick", action="store_true", help="tiny data, for the tests (recorded as benchmark_quick)")
    p.add_argument("--one", help=argparse.SUPPRESS)  # internal: measure one workload, print its row
    a = p.parse_args(argv)
    if a.device is None:
        import companion

        a.device = companion.device().type
    if a.one:
        print(json.dumps(run_workload(a.one, a.device, quick=a.quick)))
        return
    rows, path = run(a.only, a.device, quick=a.quick, out=a.out)
    for n, r in rows.items():
        mem = "n/a" if r["peak_mb"] is None else f"{r['peak_mb']:.0f} MB"
        print(f"{n:32s} {r['device']:5s} {r['epoch_s']:8.2f} s/epoch  {r['targets_per_s']:10.0f} targets/s  {mem}")
    print("wrote", path)


if __name__ == "__main__":
    main()
