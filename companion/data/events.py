"""The event-log schema every chapter uses, and its validator."""
from __future__ import annotations

import pandas as pd

#: Columns every event log must have. Other columns (rating, session_id, category, ...) are allowed.
EVENT_COLUMNS = ("user_id", "item_id", "event", "timestamp")

#: Event types of the synthetic e-commerce log, in funnel order.
EVENT_TYPES = ("view", "cart", "buy", "return")

#: Seconds in a day (timestamps are Unix seconds).
DAY = 86_400


def _rows(mask: pd.Series, limit: int = 5) -> str:
    idx = list(mask[mask].index[:limit])
    more = int(mask.sum()) - len(idx)
    return f"{idx}" + (f" and {more} more" if more > 0 else "")


def check_event_log(df: pd.DataFrame, required=EVENT_COLUMNS) -> pd.DataFrame:
    """Validate an event log and return it unchanged.

    Raises ``ValueError`` naming the column and the offending rows for: a log that is
    not a DataFrame or is empty, missing columns, missing (NaN) ids or events, and
    timestamps that are missing or not numeric/datetime. Nothing is dropped.
    """
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"event log must be a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise ValueError(
            f"event log is missing column(s) {missing}; it has {list(df.columns)}"
        )
    if len(df) == 0:
        raise ValueError("event log is empty (0 rows)")
    for col in required:
        if col == "timestamp":
            continue
        na = df[col].isna()
        if na.any():
            raise ValueError(
                f"column '{col}' has {int(na.sum())} missing value(s) at rows {_rows(na)}"
            )
    if "timestamp" in required:
        ts = df["timestamp"]
        if not (pd.api.types.is_numeric_dtype(ts) or pd.api.types.is_datetime64_any_dtype(ts)) \
                or pd.api.types.is_bool_dtype(ts):
            bad = pd.to_numeric(ts, errors="coerce").isna()
            raise ValueError(
                f"column 'timestamp' must be numeric or datetime, got dtype {ts.dtype}; "
                f"non-numeric values at rows {_rows(bad)}"
            )
        na = ts.isna()
        if na.any():
            raise ValueError(
                f"column 'timestamp' has {int(na.sum())} missing value(s) at rows {_rows(na)}"
            )
    return df
