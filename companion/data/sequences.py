"""From an event log to model inputs: chronological sequences, sessions, item ids,
padded windows, splits, negatives and batches. Framework-neutral (NumPy + pandas)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .events import check_event_log

__all__ = [
    "SequenceSplit",
    "batch_stream",
    "batches",
    "leave_one_out",
    "pad_left",
    "reindex_items",
    "sample_negatives",
    "sessionize",
    "TemporalSplit",
    "split_by_user",
    "temporal_next_item_split",
    "temporal_split",
    "user_sequences",
]

_NEEDED = ("user_id", "item_id", "timestamp")


def _check(df: pd.DataFrame, cols=_NEEDED) -> pd.DataFrame:
    return check_event_log(df, required=cols)


def chronological(df: pd.DataFrame) -> pd.DataFrame:
    """Rows sorted by user, then time; ties keep the log's order (a stable sort, as RecBole)."""
    _check(df)
    return df.sort_values(["user_id", "timestamp"], kind="stable")


def user_sequences(df: pd.DataFrame, column: str = "item_id") -> pd.Series:
    """Each user's ``column`` values in time order, as a Series of int64 arrays indexed by user."""
    _check(df, _NEEDED + ((column,) if column not in _NEEDED else ()))
    d = chronological(df)
    return d.groupby("user_id", sort=True)[column].agg(lambda s: s.to_numpy())


def sessionize(df: pd.DataFrame, gap: float = 30 * 60) -> pd.DataFrame:
    """Add a ``session`` column: a new session starts after ``gap`` seconds of inactivity.

    Session numbers are global, consecutive and ordered by (user, time). Returns a copy
    sorted chronologically. ``timestamp`` must be in seconds (or datetime).
    """
    if not np.isfinite(gap) or gap <= 0:
        raise ValueError(f"gap must be a positive number of seconds, got {gap}")
    d = chronological(df).copy()
    ts = d["timestamp"]
    if pd.api.types.is_datetime64_any_dtype(ts):
        ts = ts.astype("int64") / 1e9
    ts = ts.to_numpy(dtype=float)
    users = d["user_id"].to_numpy()
    new = np.ones(len(d), dtype=bool)
    new[1:] = (users[1:] != users[:-1]) | (np.diff(ts) > gap)
    d["session"] = np.cumsum(new) - 1
    return d


def reindex_items(items, *, known=None) -> tuple[np.ndarray, np.ndarray]:
    """Map item ids to 1..n (sorted order); 0 is reserved for padding.

    Returns ``(new_ids, item_ids)`` where ``item_ids[k]`` is the original id of new id ``k``
    (``item_ids[0] = 0``, the padding slot). ``known`` fixes the vocabulary (e.g. all items
    of a catalogue); an id outside it raises ``ValueError``.
    """
    items = np.asarray(items)
    vocab = np.unique(items if known is None else np.asarray(known))
    pos = np.searchsorted(vocab, items)
    pos_c = np.minimum(pos, len(vocab) - 1)
    bad = (pos >= len(vocab)) | (vocab[pos_c] != items)
    if bad.any():
        raise ValueError(f"{int(bad.sum())} item id(s) not in the vocabulary, e.g. {items[bad][:5].tolist()}")
    item_ids = np.concatenate([[0], vocab]).astype(vocab.dtype if vocab.dtype.kind in "iu" else object)
    return (pos_c + 1).astype(np.int64), item_ids


def pad_left(seqs, max_len: int, pad: int = 0) -> np.ndarray:
    """Stack sequences into an ``(n, max_len)`` int64 array, keeping the last ``max_len``
    items of each and padding on the left with ``pad``."""
    if not isinstance(max_len, (int, np.integer)) or max_len < 1:
        raise ValueError(f"max_len must be a positive int, got {max_len!r}")
    seqs = list(seqs)
    out = np.full((len(seqs), max_len), pad, dtype=np.int64)
    for i, s in enumerate(seqs):
        s = np.asarray(s)
        if s.ndim != 1:
            raise ValueError(f"sequence {i} is not one-dimensional (shape {s.shape})")
        if len(s) and not np.issubdtype(s.dtype, np.integer):
            raise ValueError(f"sequence {i} has non-integer ids (dtype {s.dtype}); reindex items first")
        if len(s):
            s = s[-max_len:]
            out[i, max_len - len(s):] = s
    return out


@dataclass
class _UserSequences:
    """Per-user item sequences with ids reindexed 1..n (0 = padding): what every split shares."""

    sequences: list
    users: np.ndarray
    item_ids: np.ndarray

    @property
    def n_items(self) -> int:
        """Columns of a score matrix: every item plus the padding column 0."""
        return len(self.item_ids)

    @property
    def n_users(self) -> int:
        return len(self.sequences)


@dataclass
class SequenceSplit(_UserSequences):
    """Chronological leave-one-out split of per-user item sequences (ids reindexed, 0 = padding).

    For each user with sequence ``s``: training uses ``s[:-2]``; validation predicts ``s[-2]``
    from ``s[:-2]``; test predicts ``s[-1]`` from ``s[:-1]`` (RecBole's ``LS: valid_and_test``).
    """

    dropped_users: int = 0
    name: str = ""

    @property
    def train(self) -> list:
        return [s[:-2] for s in self.sequences]

    @property
    def valid_inputs(self) -> list:
        return [s[:-2] for s in self.sequences]

    @property
    def valid_targets(self) -> np.ndarray:
        return np.array([s[-2] for s in self.sequences], dtype=np.int64)

    @property
    def test_inputs(self) -> list:
        return [s[:-1] for s in self.sequences]

    @property
    def test_targets(self) -> np.ndarray:
        return np.array([s[-1] for s in self.sequences], dtype=np.int64)

    def inputs(self, part: str) -> list:
        return {"valid": self.valid_inputs, "test": self.test_inputs}[_part(part)]

    def targets(self, part: str) -> np.ndarray:
        return {"valid": self.valid_targets, "test": self.test_targets}[_part(part)]

    def seen(self, part: str) -> list:
        """Items each user interacted with before the ``part`` target (for ``exclude=``)."""
        return self.inputs(part)

    def describe(self) -> dict:
        lengths = np.array([len(s) for s in self.sequences])
        return {"users": self.n_users, "items": self.n_items - 1, "interactions": int(lengths.sum()),
                "mean_length": round(float(lengths.mean()), 1), "train_targets": int((lengths - 3).clip(0).sum())}


def _part(part: str) -> str:
    if part not in ("valid", "test"):
        raise ValueError(f"part must be 'valid' or 'test', got {part!r}")
    return part


def leave_one_out(df: pd.DataFrame, *, min_length: int = 3, drop_short: bool = False,
                  name: str = "") -> SequenceSplit:
    """Chronological leave-one-out split of an event log (every row is an interaction).

    Users with fewer than ``min_length`` (>= 3) interactions cannot give a training, a
    validation and a test item: by default they raise ``ValueError``; with
    ``drop_short=True`` they are removed and counted in ``split.dropped_users``.
    """
    if min_length < 3:
        raise ValueError("min_length must be at least 3 (train, validation and test items)")
    d = chronological(df)
    new_ids, item_ids = reindex_items(d["item_id"].to_numpy())
    users = d["user_id"].to_numpy()
    starts = np.flatnonzero(np.r_[True, users[1:] != users[:-1]])
    bounds = np.r_[starts, len(d)]
    seqs = [new_ids[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    uids = users[starts]
    lengths = np.diff(bounds)
    short = lengths < min_length
    if short.any():
        if not drop_short:
            raise ValueError(
                f"{int(short.sum())} user(s) have fewer than {min_length} interactions "
                f"(e.g. user {uids[short][:5].tolist()}); filter them or pass drop_short=True"
            )
        seqs = [s for s, k in zip(seqs, short) if not k]
        uids = uids[~short]
    return SequenceSplit(sequences=seqs, users=uids, item_ids=item_ids,
                         dropped_users=int(short.sum()), name=name)


def temporal_split(df: pd.DataFrame, cutoff=None, *, quantile: float = 0.8):
    """Global temporal split: rows before ``cutoff`` train, the rest test.

    Without ``cutoff``, it is the ``quantile`` of the timestamps. Returns ``(train, test, cutoff)``.
    """
    _check(df)
    if cutoff is None:
        if not 0 < quantile < 1:
            raise ValueError(f"quantile must be in (0, 1), got {quantile}")
        cutoff = df["timestamp"].quantile(quantile)
    before = df["timestamp"] < cutoff
    if before.all() or not before.any():
        raise ValueError(f"cutoff {cutoff} leaves one side of the split empty")
    return df[before], df[~before], cutoff


@dataclass
class TemporalSplit:
    """Global temporal split for next-item evaluation (ids reindexed over the whole log, 0 = padding).

    Everything before ``cutoff`` is training (``train``: every user's items before the cutoff).
    A user is a test user when they have events on both sides of the cutoff: the input is all
    their items before it, the target their first item at or after it. Users with events only
    after the cutoff (``cold_users``) cannot be scored by a sequence model and are counted, not
    hidden; a target item never seen before the cutoff counts in ``new_item_targets``.
    """

    train: list
    test_inputs: list
    test_targets: np.ndarray
    users: np.ndarray
    item_ids: np.ndarray
    cutoff: float
    cold_users: int = 0
    new_item_targets: int = 0
    name: str = ""

    @property
    def n_items(self) -> int:
        """Columns of a score matrix: every item of the log plus the padding column 0."""
        return len(self.item_ids)

    @property
    def n_users(self) -> int:
        """Test users."""
        return len(self.test_inputs)

    def seen(self, part: str = "test") -> list:
        """Items each test user interacted with before the cutoff (for ``exclude=``)."""
        if part != "test":
            raise ValueError(f"a temporal split has a 'test' part only, got {part!r}")
        return self.test_inputs

    def describe(self) -> dict:
        return {"cutoff": self.cutoff, "train_users": len(self.train),
                "train_interactions": int(sum(len(s) for s in self.train)), "test_users": self.n_users,
                "cold_users": self.cold_users, "new_item_targets": self.new_item_targets}


def temporal_next_item_split(df: pd.DataFrame, cutoff=None, *, quantile: float = 0.8,
                             name: str = "") -> TemporalSplit:
    """Global temporal split of an event log for next-item evaluation (see :class:`TemporalSplit`).

    The cutoff is chosen as in :func:`temporal_split` (``cutoff``, else the ``quantile`` of the
    timestamps). Within a user, ties in time keep the log's order, as in :func:`leave_one_out`.
    """
    train_df, test_df, cutoff = temporal_split(df, cutoff, quantile=quantile)
    d = chronological(df)
    new_ids, item_ids = reindex_items(d["item_id"].to_numpy())
    users = d["user_id"].to_numpy()
    before = (d["timestamp"] < cutoff).to_numpy()
    train, test_inputs, targets, test_users = [], [], [], []
    cold = 0
    starts = np.flatnonzero(np.r_[True, users[1:] != users[:-1]])
    for a, b in zip(starts, np.r_[starts[1:], len(d)]):
        k = a + int(before[a:b].sum())  # chronological order: the first k - a rows are before the cutoff
        if k > a:
            train.append(new_ids[a:k])
        if k > a and k < b:
            test_inputs.append(new_ids[a:k])
            targets.append(new_ids[k])
            test_users.append(users[a])
        elif k == a:
            cold += 1
    if not test_inputs:
        raise ValueError(f"no user has events on both sides of the cutoff {cutoff}")
    targets = np.array(targets, dtype=np.int64)
    known = np.zeros(len(item_ids), dtype=bool)
    known[np.concatenate(train)] = True
    return TemporalSplit(train=train, test_inputs=test_inputs, test_targets=targets,
                         users=np.array(test_users), item_ids=item_ids, cutoff=cutoff, cold_users=cold,
                         new_item_targets=int((~known[targets]).sum()), name=name)


def sample_negatives(n_items: int, targets, n: int = 100, *, seen=None, seed: int = 0) -> np.ndarray:
    """For each target, ``n`` distinct negative items drawn uniformly from 1..n_items-1,
    excluding the target and (optionally) the user's ``seen`` items. Shape ``(len(targets), n)``."""
    targets = np.asarray(targets, dtype=np.int64)
    if targets.ndim != 1:
        raise ValueError("targets must be one-dimensional")
    if ((targets < 1) | (targets >= n_items)).any():
        raise ValueError(f"targets must lie in 1..{n_items - 1}")
    rng = np.random.default_rng(seed)
    out = np.empty((len(targets), n), dtype=np.int64)
    for i, t in enumerate(targets):
        banned = {int(t)} | (set(np.asarray(seen[i]).tolist()) if seen is not None else set())
        if n_items - 1 - len(banned & set(range(1, n_items))) < n:
            raise ValueError(f"user {i}: fewer than {n} candidate negatives")
        chosen: list[int] = []
        while len(chosen) < n:
            draw = rng.integers(1, n_items, size=2 * n)
            for x in draw:
                x = int(x)
                if x not in banned:
                    banned.add(x)
                    chosen.append(x)
                    if len(chosen) == n:
                        break
        out[i] = chosen
    return out


def _take(a, idx):
    """Rows ``idx`` of an array, or of every array in a dict/tuple/list of arrays."""
    if isinstance(a, dict):
        return {k: _take(v, idx) for k, v in a.items()}
    if isinstance(a, (tuple, list)):
        return type(a)(_take(v, idx) for v in a)
    if isinstance(a, np.ndarray):
        return a[np.asarray(idx)]  # the order may be a (CPU) torch tensor: the same rows as for tensors
    return a[idx]


def _rows(a) -> int:
    if isinstance(a, dict):
        a = next(iter(a.values()))
    elif isinstance(a, (tuple, list)):
        a = a[0]
    return len(a)


def batches(*arrays, batch_size: int = 256, shuffle: bool = False, seed: int = 0, order=None):
    """Yield aligned mini-batches (tuples of row slices) of equally long arrays.

    An "array" may also be a dict (or tuple) of arrays, sliced alike: ``batches({"a": a, "b": b}, y)``
    yields ``({"a": a[idx], "b": b[idx]}, y[idx])``. ``order`` gives the row order explicitly
    (a permutation, NumPy or PyTorch); else rows are taken in order, or shuffled with ``seed``.
    """
    if not arrays:
        raise ValueError("give at least one array")
    n = _rows(arrays[0])
    if any(_rows(a) != n for a in arrays):
        raise ValueError(f"arrays have different lengths: {[_rows(a) for a in arrays]}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if order is None:
        order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
    elif len(order) != n:
        raise ValueError(f"order has {len(order)} entries for {n} rows")
    for start in range(0, n, batch_size):
        idx = order[start:start + batch_size]
        yield tuple(_take(a, idx) for a in arrays)


def batch_stream(*arrays, batch_size: int = 256, shuffle: bool = True, seed: int = 0, permutation=None,
                 bucket_by=None, pool: int = 8):
    """The one batching helper of every training loop: a zero-argument callable that yields one
    epoch of mini-batches (see :func:`batches`) each time it is called.

    * default: each epoch a new shuffle from one NumPy generator seeded with ``seed``;
    * ``permutation``: a callable ``n -> permutation of range(n)`` that draws the order instead
      (:func:`companion.torch.torch_permutation` draws it with a seeded ``torch.Generator``);
    * ``bucket_by`` (one length per row): length bucketing. Epoch ``e`` shuffles the rows with
      seed ``seed + e``, sorts each pool of ``pool * batch_size`` rows by length, cuts batches and
      shuffles the batch order, so rows of similar length share a batch.
    """
    if not arrays:
        raise ValueError("give at least one array")
    if batch_size < 1 or pool < 1:
        raise ValueError(f"batch_size and pool must be >= 1, got {batch_size} and {pool}")
    n = _rows(arrays[0])
    rng = np.random.default_rng(seed)
    epoch = [0]
    if bucket_by is not None:
        lengths = np.asarray(bucket_by)
        if len(lengths) != n:
            raise ValueError(f"bucket_by has {len(lengths)} lengths for {n} rows")

    def one_epoch():
        if bucket_by is not None:
            r = np.random.default_rng(seed + epoch[0])
            epoch[0] += 1
            order = r.permutation(n)
            size = pool * batch_size
            chunks = []
            for s in range(0, n, size):
                part = order[s:s + size]
                part = part[np.argsort(lengths[part], kind="stable")]
                chunks += [part[i:i + batch_size] for i in range(0, len(part), batch_size)]
            for j in r.permutation(len(chunks)):
                yield tuple(_take(a, chunks[j]) for a in arrays)
            return
        if not shuffle:
            order = np.arange(n)
        elif permutation is not None:
            order = permutation(n)
        else:
            order = rng.permutation(n)
        yield from batches(*arrays, batch_size=batch_size, order=order)

    return one_epoch


def split_by_user(users, fractions=(0.7, 0.15, 0.15), seed: int = 0) -> dict:
    """Boolean masks ``{"train", "valid", "test"}`` over rows, assigning whole users to one part.

    Users are shuffled with ``seed`` and cut by the fractions (which must sum to 1), so no user's
    sessions appear in two parts.
    """
    users = np.asarray(users)
    if users.ndim != 1 or len(users) == 0:
        raise ValueError("users must be a non-empty 1-d array of user ids")
    f = np.asarray(fractions, dtype=float)
    if f.shape != (3,) or (f <= 0).any() or abs(f.sum() - 1) > 1e-9:
        raise ValueError(f"fractions must be three positive numbers summing to 1, got {fractions!r}")
    uniq = np.unique(users)
    if len(uniq) < 3:
        raise ValueError(f"need at least 3 users to split, got {len(uniq)}")
    perm = np.random.default_rng(seed).permutation(uniq)
    cut = np.round(np.cumsum(f)[:2] * len(uniq)).astype(int)
    parts = np.split(perm, cut)
    return {name: np.isin(users, p) for name, p in zip(("train", "valid", "test"), parts)}


# ------------------------------------------------ leave-k-out: the next k items (the seq2seq chapter)


@dataclass
class LeaveKOutSplit(_UserSequences):
    """Chronological leave-``k``-out split of per-user item sequences (ids reindexed 1..n, 0 = padding).

    For each user with sequence ``s``: the last ``k`` items are the **test** target (input: every
    earlier item, ``s[:-k]``); the ``k`` before them the **validation** target (input ``s[:-2k]``);
    training uses ``s[:-2k]``. The vocabulary is every item of the log, so an item that occurs only in
    held-out targets keeps its id: it is counted by :meth:`describe` (``unseen_test_items``), never dropped.
    """

    k: int
    tie_break: str | None = "item_id"
    dropped_users: int = 0
    name: str = ""

    @property
    def train(self) -> list:
        return [s[:-2 * self.k] for s in self.sequences]

    def inputs(self, part: str) -> list:
        """Each user's history before the ``part`` target (the items to exclude from a prediction)."""
        cut = {"valid": 2 * self.k, "test": self.k}[_part(part)]
        return [s[:-cut] for s in self.sequences]

    def targets(self, part: str) -> np.ndarray:
        """The ``(n_users, k)`` next ``k`` items of ``part``, in time order."""
        k = self.k
        if _part(part) == "valid":
            return np.stack([s[-2 * k:-k] for s in self.sequences]).astype(np.int64)
        return np.stack([s[-k:] for s in self.sequences]).astype(np.int64)

    def seen(self, part: str) -> list:
        return self.inputs(part)

    def describe(self) -> dict:
        lengths = np.array([len(s) for s in self.sequences])
        known = np.zeros(self.n_items, dtype=bool)
        known[np.concatenate(self.train)] = True
        test, valid = self.targets("test"), self.targets("valid")
        known_tv = known.copy()
        known_tv[valid.ravel()] = True
        return {"users": self.n_users, "items": self.n_items - 1, "interactions": int(lengths.sum()), "k": self.k,
                "train_interactions": int((lengths - 2 * self.k).sum()),
                "items_in_train": int(known[1:].sum()),
                "unseen_test_items": int((~known[test]).sum()),
                "unseen_test_items_given_valid": int((~known_tv[test]).sum()),
                "unseen_valid_items": int((~known[valid]).sum())}


def leave_k_out(df: pd.DataFrame, k: int = 5, *, min_history: int = 1, tie_break: str | None = "item_id",
                drop_short: bool = False, name: str = "") -> LeaveKOutSplit:
    """Chronological leave-``k``-out split of an event log (see :class:`LeaveKOutSplit`).

    Each user's rows are ordered by ``timestamp``; rows with the same timestamp are ordered by
    ``tie_break`` (default ``"item_id"``, so the split does not depend on the file's row order;
    ``None`` keeps the log's order, as :func:`leave_one_out`). A user needs ``2k + min_history``
    interactions (``min_history >= 1`` training items); shorter users raise ``ValueError``, or with
    ``drop_short=True`` are removed and counted in ``dropped_users``.
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive int, got {k!r}")
    if isinstance(min_history, bool) or not isinstance(min_history, (int, np.integer)) or min_history < 1:
        raise ValueError(f"min_history must be an int >= 1, got {min_history!r}")
    _check(df)
    if tie_break is None:
        d = chronological(df)
    else:
        if tie_break not in df.columns:
            raise ValueError(f"tie_break column {tie_break!r} is not in the log (columns: {list(df.columns)})")
        d = df.sort_values(["user_id", "timestamp", tie_break], kind="stable")
    new_ids, item_ids = reindex_items(d["item_id"].to_numpy())
    users = d["user_id"].to_numpy()
    starts = np.flatnonzero(np.r_[True, users[1:] != users[:-1]])
    bounds = np.r_[starts, len(d)]
    seqs = [new_ids[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    uids = users[starts]
    need = 2 * int(k) + int(min_history)
    short = np.diff(bounds) < need
    if short.any():
        if not drop_short:
            raise ValueError(f"{int(short.sum())} user(s) have fewer than {need} interactions (2k + min_history; "
                             f"e.g. user {uids[short][:5].tolist()}); filter them or pass drop_short=True")
        seqs = [s for s, b in zip(seqs, short) if not b]
        uids = uids[~short]
    return LeaveKOutSplit(sequences=seqs, users=uids, item_ids=item_ids, k=int(k), tie_break=tie_break,
                          dropped_users=int(short.sum()), name=name)


@dataclass
class KStepRows:
    """Rows of a k-step task: ``src`` (n, max_len) left-padded input tokens, ``tgt`` (n, k) the next
    ``k`` tokens, ``user`` (n,) the row's user (for the bootstrap). The seq2seq trainers take it."""

    src: np.ndarray
    tgt: np.ndarray
    user: np.ndarray
    bos: int = 1

    def __len__(self) -> int:
        return len(self.tgt)

    def decoder_io(self) -> tuple[np.ndarray, np.ndarray]:
        """Teacher forcing's decoder input ``[BOS, y_1..y_{k-1}]`` and output ``y_1..y_k``."""
        return np.concatenate([np.full((len(self), 1), self.bos), self.tgt[:, :-1]], axis=1), self.tgt

    def subset(self, idx) -> "KStepRows":
        idx = np.asarray(idx)
        return KStepRows(self.src[idx], self.tgt[idx], self.user[idx], self.bos)


def kstep_rows(inputs, targets, max_len: int, *, users=None, offset: int = 1, bos: int = 1) -> KStepRows:
    """One row per user: the last ``max_len`` input items and the ``k`` target items, as tokens
    ``item + offset`` (``offset = 1`` leaves token 1 free for the decoder's ``BOS``; 0 stays padding)."""
    targets = np.asarray(targets, dtype=np.int64)
    if targets.ndim != 2 or len(targets) != len(inputs):
        raise ValueError(f"targets must be (len(inputs), k), got {targets.shape} for {len(inputs)} inputs")
    if (targets < 1).any():
        raise ValueError("targets must be item ids >= 1 (0 is padding)")
    if any(len(s) == 0 for s in inputs):
        raise ValueError("every row needs at least one input item")
    src = pad_left(inputs, max_len)
    src = np.where(src > 0, src + offset, 0)
    users = np.arange(len(targets)) if users is None else np.asarray(users)
    return KStepRows(src, targets + offset, users, bos)


def kstep_examples(seqs, k: int, max_len: int, *, stride: int | None = None, offset: int = 1,
                   bos: int = 1) -> KStepRows:
    """Training rows for a k-step model from whole sequences: cuts ``t`` every ``stride`` positions
    (default ``k``: the target blocks tile the sequence, each item a target once), counted back
    from the end; input the ``max_len`` items before ``t`` (at least one), target ``s[t:t+k]``.
    ``user`` is the sequence's index. Tokens are ``item + offset`` as in :func:`kstep_rows`."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive int, got {k!r}")
    stride = k if stride is None else stride
    if isinstance(stride, bool) or not isinstance(stride, (int, np.integer)) or stride < 1:
        raise ValueError(f"stride must be a positive int, got {stride!r}")
    xs, ys, us = [], [], []
    for u, s in enumerate(seqs):
        s = np.asarray(s, dtype=np.int64)
        for t in range(len(s) - k, 0, -stride):
            xs.append(s[max(0, t - max_len):t])
            ys.append(s[t:t + k])
            us.append(u)
    if not xs:
        raise ValueError(f"no sequence has more than k={k} items")
    return kstep_rows(xs, np.stack(ys), max_len, users=np.array(us), offset=offset, bos=bos)


__all__ += ["KStepRows", "LeaveKOutSplit", "kstep_examples", "kstep_rows", "leave_k_out"]
