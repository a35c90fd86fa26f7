"""The shop's "funnel" task: predict the next ``k`` events of a session, with the TRUE k-step law.

Built on :func:`companion.data.generate_shop_log` (the generator is not changed). Each event of
the log becomes one **token** ``(event type, category)``; ``return`` rows (days later) are left
out, and an ``EOS`` token closes every session. The vocabulary, for ``C`` categories::

    0 PAD, 1 BOS, 2 EOS, 3 + type * C + category   (type 0 = view, 1 = cart, 2 = buy)

A **cut** after the ``m``-th token of a session (``m >= 1``) gives one example: the input is the
user's last ``max_len`` tokens up to the cut (earlier sessions included, each ended by ``EOS``),
the target the next ``k`` tokens, ``EOS`` repeated once the session is over (``EOS`` absorbs).

Split (per user, chronological, by session): the last session is the test session, the one
before it the validation session, all earlier ones train; every cut of a session is a row.

The generator's state at a cut is the user ``u``, the last token's type (its *phase*) and the
last viewed item ``j``. From there the session goes on as a Markov chain whose parameters are
all known (cart probability ``c_u``, buy probability ``β``, continue probability ``ρ``,
stickiness ``s``, item transitions ``T``, taste ``q_u``): after a view, ``cart`` with
probability ``c_u``; after a cart, ``buy`` with ``β``; otherwise (and always after a buy) the
session continues with ``ρ`` to a view of ``j' ~ s·T[j] + (1-s)·q_u`` or ends. Tokens show
only the category of ``j'``, so :class:`FunnelOracle` carries a belief over items (a filter) and
gives the exact probability of any token sequence, the exact per-step marginals, and the best
achievable scores. The oracle knows ``u``'s parameters and the true item; a model sees tokens
only, so the ceiling is an upper bound that no model reaches exactly.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .._checks import check_int
from .sequences import pad_left
from .synthetic import SyntheticShop

__all__ = ["PAD", "BOS", "EOS", "FunnelOracle", "FunnelTask", "funnel_task", "funnel_vocabulary",
           "shop_token_streams"]

PAD, BOS, EOS = 0, 1, 2
_TYPES = ("view", "cart", "buy")


def funnel_vocabulary(n_categories: int) -> list[str]:
    """Token names, index = token id: ``["<pad>", "<bos>", "<eos>", "view:0", ..., "buy:C-1"]``."""
    check_int("n_categories", n_categories)
    return ["<pad>", "<bos>", "<eos>"] + [f"{t}:{c}" for t in _TYPES for c in range(n_categories)]


def _token(types: np.ndarray, cats: np.ndarray, n_categories: int) -> np.ndarray:
    return 3 + types * n_categories + cats


def shop_token_streams(shop: SyntheticShop) -> pd.DataFrame:
    """One row per token of every user, in order: ``user_id, session_id, token, item_id, phase``
    (``phase`` 0/1/2 = view/cart/buy, 3 = EOS; an ``EOS`` row closes each session and has
    ``item_id`` 0). ``return`` events are dropped (they happen days after the session)."""
    if not isinstance(shop, SyntheticShop):
        raise TypeError(f"shop must be a SyntheticShop, got {type(shop).__name__}")
    ev = shop.events[shop.events["event"] != "return"]
    ev = ev.sort_values(["user_id", "timestamp", "session_id"], kind="stable")
    types = ev["event"].map({t: i for i, t in enumerate(_TYPES)}).to_numpy()
    C = shop.params["n_categories"]
    rows = pd.DataFrame({"user_id": ev["user_id"].to_numpy(), "session_id": ev["session_id"].to_numpy(),
                         "token": _token(types, ev["category"].to_numpy(), C), "item_id": ev["item_id"].to_numpy(),
                         "phase": types})
    ends = rows.groupby("session_id", sort=False).tail(1).copy()
    ends["token"], ends["item_id"], ends["phase"] = EOS, 0, 3
    ends.index = ends.index + 0.5  # right after the session's last token
    out = pd.concat([rows, ends]).sort_index(kind="stable").reset_index(drop=True)
    return out.astype({"user_id": "int64", "session_id": "int64", "token": "int64", "item_id": "int64",
                       "phase": "int64"})


@dataclass
class FunnelPart:
    """The rows of one part: ``src`` (n, max_len) left-padded tokens, ``tgt`` (n, k) next tokens,
    and the generator state at each cut: ``user`` (1-based id), ``phase`` (0/1/2), ``item``."""

    src: np.ndarray
    tgt: np.ndarray
    user: np.ndarray
    phase: np.ndarray
    item: np.ndarray

    def __len__(self) -> int:
        return len(self.tgt)

    def decoder_io(self) -> tuple[np.ndarray, np.ndarray]:
        """Teacher forcing's decoder input ``[BOS, y_1..y_{k-1}]`` and output ``y_1..y_k``."""
        return np.concatenate([np.full((len(self), 1), BOS), self.tgt[:, :-1]], axis=1), self.tgt

    def subset(self, idx) -> "FunnelPart":
        idx = np.asarray(idx)
        return FunnelPart(self.src[idx], self.tgt[idx], self.user[idx], self.phase[idx], self.item[idx])


@dataclass
class FunnelTask:
    """The funnel task of one shop: ``train``/``valid``/``test`` :class:`FunnelPart` and the oracle."""

    train: FunnelPart
    valid: FunnelPart
    test: FunnelPart
    oracle: "FunnelOracle"
    k: int
    max_len: int
    vocab: list

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def part(self, name: str) -> FunnelPart:
        if name not in ("train", "valid", "test"):
            raise ValueError(f"part must be 'train', 'valid' or 'test', got {name!r}")
        return getattr(self, name)

    def train_streams(self) -> list:
        """The training users' token streams (train sessions only), for the Markov baseline."""
        return self._train_streams

    def describe(self) -> pd.DataFrame:
        return pd.DataFrame({p: {"rows": len(self.part(p)), "users": len(np.unique(self.part(p).user))}
                             for p in ("train", "valid", "test")}).T


def funnel_task(shop: SyntheticShop, k: int = 4, max_len: int = 16) -> FunnelTask:
    """The funnel task (see the module docstring): chronological leave-one-session-out per user,
    every cut of a session is a row. Users with fewer than three sessions go to no part (their
    number is in the error when nothing is left). Needs a constant buy probability (generate the
    shop with ``promo_every=0``), because the log does not record a session's day exactly."""
    k, max_len = check_int("k", k), check_int("max_len", max_len)
    beta = np.unique(shop.buy_prob_by_day)
    if len(beta) != 1:
        raise ValueError("funnel_task needs a constant buy probability: generate the shop with promo_every=0")
    streams = shop_token_streams(shop)
    C = shop.params["n_categories"]
    parts = {p: {"src": [], "tgt": [], "user": [], "phase": [], "item": []} for p in ("train", "valid", "test")}
    train_streams = []
    for user, g in streams.groupby("user_id", sort=True):
        tok, item, phase, sess = (g[c].to_numpy() for c in ("token", "item_id", "phase", "session_id"))
        starts = np.flatnonzero(np.r_[True, sess[1:] != sess[:-1]])
        if len(starts) < 3:
            continue
        ends = np.r_[starts[1:], len(tok)]  # exclusive; the last token of a session is its EOS
        which = ["train"] * (len(starts) - 2) + ["valid", "test"]
        train_streams.append(tok[:starts[-2]])
        last_item = 0
        for s0, s1, part in zip(starts, ends, which):
            for m in range(1, s1 - s0):  # cut after m real tokens (EOS is at s1 - 1)
                cut = s0 + m
                if phase[cut - 1] == 0:
                    last_item = item[cut - 1]
                fut = tok[cut:cut + k]
                fut = np.r_[fut, np.full(k - len(fut), EOS)] if len(fut) < k else fut
                if EOS in fut:  # everything after the session's EOS is EOS
                    fut = np.where(np.arange(k) >= np.argmax(fut == EOS), EOS, fut)
                d = parts[part]
                d["src"].append(tok[max(0, cut - max_len):cut])
                d["tgt"].append(fut)
                d["user"].append(user)
                d["phase"].append(phase[cut - 1])
                d["item"].append(item[cut - 1])
    if not parts["test"]["tgt"]:
        raise ValueError("no user has three sessions; generate more days or a higher sessions_per_day")
    built = {p: FunnelPart(pad_left(d["src"], max_len), np.asarray(d["tgt"], dtype=np.int64),
                           np.asarray(d["user"], dtype=np.int64), np.asarray(d["phase"], dtype=np.int64),
                           np.asarray(d["item"], dtype=np.int64)) for p, d in parts.items()}
    task = FunnelTask(**built, oracle=FunnelOracle(shop), k=k, max_len=max_len, vocab=funnel_vocabulary(C))
    task._train_streams = train_streams
    return task


class FunnelOracle:
    """The generator's exact law of the next tokens, given its state at a cut.

    The decoding state is a dict of arrays, one row per hypothesis: ``user`` (0-based), ``phase``
    (0/1/2 view/cart/buy, 3 after EOS), ``belief`` over items (n, n_items) (the filter of the
    current item given the state and the tokens since the cut). :meth:`step` is a step function
    for :mod:`companion.decoding`.
    """

    def __init__(self, shop: SyntheticShop):
        p = shop.params
        self.C, self.n_items = p["n_categories"], shop.n_items
        self.rho, self.s = p["continue_prob"], p["stickiness"]
        self.beta = float(np.unique(shop.buy_prob_by_day)[0]) if len(np.unique(shop.buy_prob_by_day)) == 1 else None
        self.cart = shop.users["cart_prob"].to_numpy()
        self.taste = shop.taste[:, 1:]
        self.T = sp.csr_matrix(shop.transition[1:, 1:])
        self.category = shop.items["category"].to_numpy()
        self.onehot_cat = np.eye(self.C)[self.category]  # (n_items, C)
        self.vocab_size = 3 + 3 * self.C

    def initial_state(self, part: FunnelPart) -> dict:
        """The generator's state at each cut of ``part``."""
        if self.beta is None:
            raise ValueError("the oracle needs a constant buy probability (promo_every=0)")
        n = len(part)
        belief = np.zeros((n, self.n_items))
        belief[np.arange(n), part.item - 1] = 1.0
        return {"user": part.user - 1, "phase": part.phase.copy(), "belief": belief}

    def _predict_view(self, state) -> np.ndarray:
        """Distribution of the next viewed item, (n, n_items)."""
        return self.s * (self.T.T @ state["belief"].T).T + (1 - self.s) * self.taste[state["user"]]

    def next_probs(self, state) -> np.ndarray:
        """P(next token | state), (n, vocab_size); PAD and BOS get 0."""
        n, C = len(state["phase"]), self.C
        ph, u = state["phase"], state["user"]
        cart = self.cart[u]
        leave = np.select([ph == 0, ph == 1, ph == 2], [1 - cart, np.full(n, 1 - self.beta), np.ones(n)], 0.0)
        out = np.zeros((n, self.vocab_size))
        cat_now = (state["belief"] @ self.onehot_cat)  # (n, C): the current item's category (one-hot)
        view = self._predict_view(state) @ self.onehot_cat
        out[:, 3:3 + C] = (leave * self.rho)[:, None] * view
        out[:, 3 + C:3 + 2 * C] = np.where(ph == 0, cart, 0.0)[:, None] * cat_now
        out[:, 3 + 2 * C:] = np.where(ph == 1, self.beta, 0.0)[:, None] * cat_now
        out[:, EOS] = np.where(ph == 3, 1.0, leave * (1 - self.rho))
        return out

    def update(self, state, tokens) -> dict:
        """The state after observing ``tokens`` (n,); BOS leaves it unchanged."""
        tokens = np.asarray(tokens, dtype=np.int64)
        C = self.C
        ph, belief = state["phase"].copy(), state["belief"]
        kind = np.where(tokens == EOS, 3, np.where(tokens >= 3, (tokens - 3) // C, -1))
        is_view = kind == 0
        if is_view.any():
            pred = self._predict_view({"belief": belief[is_view], "user": state["user"][is_view]})
            cat = (tokens[is_view] - 3) % C
            pred = pred * (self.category[None, :] == cat[:, None])
            tot = pred.sum(1, keepdims=True)
            belief = belief.copy()
            belief[is_view] = np.divide(pred, tot, out=np.zeros_like(pred), where=tot > 0)
        ph = np.where(kind >= 0, kind, ph)
        return {"user": state["user"], "phase": ph, "belief": belief}

    def step(self, tokens, state):
        """Step function (:mod:`companion.decoding`): consume ``tokens``, return
        ``(log P(next token), new state)``."""
        state = self.update(state, tokens)
        with np.errstate(divide="ignore"):
            return np.log(self.next_probs(state)), state

    def marginals(self, part: FunnelPart, k: int) -> np.ndarray:
        """Exact per-step marginals P(y_t = v) for t = 1..k, (n, k, vocab_size): the hidden
        chain over (phase, item) is propagated forward (no enumeration of sequences)."""
        st = self.initial_state(part)
        n = len(part)
        u = st["user"]
        pv = st["belief"] * (st["phase"] == 0)[:, None]
        pc = st["belief"] * (st["phase"] == 1)[:, None]
        pb = st["belief"] * (st["phase"] == 2)[:, None]
        pe = np.zeros(n)
        cart = self.cart[u][:, None]
        out = np.zeros((n, k, self.vocab_size))
        C = self.C
        for t in range(k):
            leave = (1 - cart) * pv + (1 - self.beta) * pc + pb
            pv_new = self.rho * (self.s * (self.T.T @ leave.T).T + (1 - self.s) * leave.sum(1, keepdims=True)
                                 * self.taste[u])
            pc, pb = cart * pv, self.beta * pc
            pe = pe + (1 - self.rho) * leave.sum(1)
            pv = pv_new
            out[:, t, 3:3 + C] = pv @ self.onehot_cat
            out[:, t, 3 + C:3 + 2 * C] = pc @ self.onehot_cat
            out[:, t, 3 + 2 * C:] = pb @ self.onehot_cat
            out[:, t, EOS] = pe
        return out
