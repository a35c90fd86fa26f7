"""Data: the event-log schema, MovieLens-100K, the synthetic shop and tasks, sequence tools, features."""
from .events import DAY, EVENT_COLUMNS, EVENT_TYPES, check_event_log
from .movielens import (
    favourite_genre,
    load_movielens_100k,
    load_movielens_100k_items,
    movielens_ctr,
)
from .sequences import (
    SequenceSplit,
    batch_stream,
    batches,
    KStepRows,
    LeaveKOutSplit,
    kstep_examples,
    kstep_rows,
    leave_k_out,
    leave_one_out,
    pad_left,
    reindex_items,
    sample_negatives,
    sessionize,
    TemporalSplit,
    split_by_user,
    temporal_next_item_split,
    temporal_split,
    user_sequences,
)
from .synthetic import SyntheticShop, generate_shop_log, lag_task
from .features import FEATURES, next_session_purchase, split_users
from .purchase import PurchaseSessions, generate_purchase_sessions, order_features, purchase_batches  # noqa: E402

__all__ = [
    "EVENT_COLUMNS", "EVENT_TYPES", "SequenceSplit", "SyntheticShop", "batch_stream", "batches", "check_event_log",
    "favourite_genre", "generate_shop_log", "leave_one_out", "load_movielens_100k",
    "load_movielens_100k_items", "pad_left", "reindex_items", "sample_negatives", "sessionize",
    "split_by_user", "TemporalSplit", "temporal_next_item_split", "temporal_split", "user_sequences",
]
__all__ += ["DAY", "FEATURES", "PurchaseSessions", "generate_purchase_sessions", "lag_task", "next_session_purchase",
            "order_features", "purchase_batches", "split_users"]
from .impressions import CTRData, generate_impressions, split_impressions  # noqa: E402

__all__ += ["CTRData", "generate_impressions", "movielens_ctr", "split_impressions"]
__all__ += ["KStepRows", "LeaveKOutSplit", "kstep_examples", "kstep_rows", "leave_k_out"]
