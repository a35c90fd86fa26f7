"""Answers to the exercises of the next-item recommendation chapter (notebook 06)."""
from __future__ import annotations

import math

from ..exercises import Expect

ANSWERS = {
    "ndcg_rank3": Expect(1 / math.log2(5), rtol=1e-3, atol=1e-3, hint="NDCG@K credits a hit at 0-based rank r with 1/log2(r + 2)"),
    "windows_120": Expect(3, hint="a sequence of n items has n - 1 targets; windows hold max_len targets each"),
    "popularity_masked": Expect(0.04321, rtol=0, atol=5e-4,
                                hint="evaluate_scorer(Popularity().fit(split.train, split.n_items), split, 'test', exclude_seen=True)"),
}
