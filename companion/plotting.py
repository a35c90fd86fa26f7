"""The few plot helpers several chapters share (matplotlib only)."""
from __future__ import annotations

import numpy as np


def _axes(ax, **kw):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(**kw)
    return ax


def plot_series(series: dict, ax=None, title: str = "", ylabel: str = ""):
    """Several pandas Series (name -> series) on one time axis."""
    ax = _axes(ax, figsize=(8, 3))
    for name, s in series.items():
        ax.plot(s.index, s.to_numpy(), label=name, lw=1)
    ax.set(title=title, ylabel=ylabel)
    if len(series) > 1:
        ax.legend(frameon=False)
    return ax


def plot_long_tail(counts, ax=None, label: str = ""):
    """Item popularity in rank order, log-log: the long tail."""
    ax = _axes(ax, figsize=(4, 3))
    c = np.sort(np.asarray(counts))[::-1]
    ax.loglog(np.arange(1, len(c) + 1), c, label=label)
    ax.set(xlabel="item rank", ylabel="interactions", title="popularity")
    return ax


def plot_histogram(values, ax=None, bins: int = 40, xlabel: str = "", title: str = "", log: bool = False):
    ax = _axes(ax, figsize=(4, 3))
    ax.hist(values, bins=bins, log=log)
    ax.set(xlabel=xlabel, title=title)
    return ax
