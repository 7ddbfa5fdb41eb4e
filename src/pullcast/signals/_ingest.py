"""Frame-level validation and row-level checks of signal-event frames.

A malformed frame (not a DataFrame, a missing column, a column of the wrong type, timezone-mixed
timestamps) raises; a bad row in a valid frame is marked with a reason and rejected by the store.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pullcast.columns import Columns
from pullcast.errors import ColumnError, SignalError

__all__ = ["REASONS", "Times", "canonical_frame", "hash_labels", "parse_times"]

NAT = np.iinfo(np.int64).min

#: Rejection reasons, in the order they are checked (a row gets the first that applies).
REASONS: tuple[str, ...] = (
    "",
    "unknown channel",
    "missing sku",
    "unknown sku",
    "missing store",
    "unknown store",
    "missing region",
    "unknown region",
    "missing dedupe key column",
    "NaN value",
    "infinite value",
    "negative value",
    "missing time",
    "unparseable time",
    "unparseable arrived_at",
    "time after arrived_at",
)


def canonical_frame(events: object, columns: Columns) -> pd.DataFrame:
    """Check the frame's shape and column types; return it with pullcast's default column names.

    Raises
    ------
    SignalError
        ``events`` is not a DataFrame.
    ColumnError
        A required column (sku, time, channel, value) is missing, or the value column is not
        numeric, or a time column holds numbers.
    """
    if not isinstance(events, pd.DataFrame):
        raise SignalError(f"signal events must be a pandas DataFrame, got {type(events).__name__}")
    required = [columns.sku, columns.time, columns.channel, columns.value]
    missing = [c for c in required if c not in events.columns]
    if missing:
        raise ColumnError(
            f"signal events frame is missing required column(s) {missing}; it has "
            f"{list(events.columns)}. Pass columns=Columns(...) if your columns have other names."
        )
    if events.columns.duplicated().any():
        dup = list(events.columns[events.columns.duplicated()])
        raise ColumnError(f"signal events frame has duplicated column names {dup}")
    rename = {k: v for k, v in columns.canonical().items() if k in events.columns and k != v}
    frame = events.rename(columns=rename) if rename else events
    value = frame["value"]
    numeric = pd.api.types.is_numeric_dtype(value) or pd.api.types.is_bool_dtype(value)
    if not numeric and value.notna().any():
        raise ColumnError(
            f"column {columns.value!r} must be numeric, found dtype {value.dtype}"
            + (f" (first value {value.iloc[0]!r})" if len(value) else "")
        )
    for name, user in (("time", columns.time), ("arrived_at", columns.arrived_at)):
        if name in frame.columns:
            col = frame[name]
            if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
                raise ColumnError(f"column {user!r} must hold timestamps, found numeric dtype {col.dtype}")
    return frame


@dataclass
class Times:
    """Parsed timestamps as int64 nanoseconds (``NAT`` where missing or unreadable)."""

    ns: np.ndarray
    unparseable: np.ndarray | None
    aware: bool | None


def parse_times(col: pd.Series, user_name: str, tz: str) -> Times:
    """Parse one timestamp column to naive int64 ns in the store's timezone ``tz``.

    tz-naive values are taken as local time already; tz-aware values (one timezone for the whole
    column) are converted to ``tz`` and made naive. Raises :class:`SignalError` on a column mixing
    timezones, or mixing tz-aware and tz-naive values. ``unparseable`` marks values present but not
    readable (None for datetime columns, which cannot hold such values).
    """
    unparseable = None
    if isinstance(col.dtype, pd.DatetimeTZDtype):
        parsed = col.dt.tz_convert(tz).dt.tz_localize(None)
        aware: bool | None = True
    elif pd.api.types.is_datetime64_any_dtype(col):
        parsed = col
        aware = False
    else:
        mixed = (
            f"column {user_name!r} mixes timezones (or tz-aware with tz-naive values)"
            "{}. Give one timezone for the whole column, or naive local times."
        )
        try:
            # pandas 2.x returns object values with a FutureWarning where pandas 3 raises
            with warnings.catch_warnings():
                warnings.filterwarnings("error", message=".*mixed time zones", category=FutureWarning)
                parsed = pd.to_datetime(col, errors="coerce", format="mixed")
        except FutureWarning:
            raise SignalError(mixed.format("")) from None
        except (ValueError, TypeError) as exc:
            raise SignalError(mixed.format(f": {exc}")) from None
        if isinstance(parsed.dtype, pd.DatetimeTZDtype):
            parsed = parsed.dt.tz_convert(tz).dt.tz_localize(None)
            aware = True
        elif pd.api.types.is_datetime64_any_dtype(parsed):
            aware = False if (~parsed.isna()).any() else None
        else:
            raise SignalError(
                f"column {user_name!r} could not be read as timestamps (found {parsed.dtype}); "
                "it may mix timezones"
            )
        unparseable = (parsed.isna() & col.notna()).to_numpy()
    values = parsed.to_numpy()
    if values.dtype != np.dtype("datetime64[ns]"):
        values = values.astype("datetime64[ns]")
    return Times(ns=values.view(np.int64), unparseable=unparseable, aware=aware)


def hash_labels(col: pd.Series, seed: int) -> np.ndarray:
    """A 64-bit hash per row of an arbitrary column (for extra dedupe-key columns)."""
    key = f"pullcast{seed:08d}"[:16]
    return np.asarray(pd.util.hash_array(col.to_numpy(dtype=object), hash_key=key), dtype=np.uint64)
