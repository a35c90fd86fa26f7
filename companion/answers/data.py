"""Answers to the exercises of chapter 1 (behavior data, splits and metrics)."""
from ..exercises import Expect

ANSWERS = {
    "sessions_1h": Expect(2692, hint="sessionize(ml_log, gap=3600) and count distinct sessions"),
    "ndcg_rank3": Expect(0.43067655807339306, rtol=1e-4, hint="1 / log2(rank + 2)"),
    "density": Expect(0.06304669364224531, rtol=1e-3, hint="ratings / (users x items)"),
    "pop_exclude_hit10": Expect(0.041666666666666664, rtol=1e-3,
                                hint="ranking_metrics(..., exclude=split_shop.test_inputs)"),
    "leaky_split": Expect("random"),
}
