"""Input checks shared by the metric functions: required columns, NaN values, horizons, quantile columns."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from pullcast.columns import FORECAST_MEAN, Columns
from pullcast.errors import ColumnError, DataError, FrequencyError, ValueRangeError
from pullcast.panel import describe_rows

__all__ = [
    "CUTOFF",
    "FORECAST",
    "HORIZON",
    "MODEL",
    "add_horizon",
    "canonical",
    "numeric",
    "quantile_columns",
    "quantile_level",
    "require",
]

CUTOFF = "cutoff"
HORIZON = "horizon"
MODEL = "model"
FORECAST = FORECAST_MEAN
_QUANTILE = re.compile(r"^p(\d+(?:\.\d+)?)$")


def canonical(frame: pd.DataFrame, columns: Columns, name: str = "cv") -> pd.DataFrame:
    """``frame`` with the user's column names mapped to pullcast's default names."""
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
    if columns == Columns():
        return frame
    mapping = {k: v for k, v in columns.canonical().items() if k in frame.columns and k != v}
    return frame.rename(columns=mapping)


def require(frame: pd.DataFrame, needed: list[str], name: str = "cv") -> None:
    """Raise :class:`ColumnError` naming the columns of ``needed`` missing from ``frame``; reject empties."""
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ColumnError(
            f"{name} frame is missing required column(s) {missing}; it has {list(frame.columns)}"
        )
    if len(frame) == 0:
        raise DataError(f"{name} frame is empty: metrics need at least one row")


def numeric(frame: pd.DataFrame, column: str, name: str = "cv") -> np.ndarray:
    """A column as float64; NaN or infinite values raise :class:`ValueRangeError` naming the rows.

    Metrics never drop rows on their own: filter NaN actuals (for example censored stockout days)
    out of the frame before scoring, so the exclusion is explicit.
    """
    col = frame[column]
    if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)):
        raise ColumnError(f"column {column!r} of the {name} frame must be numeric, found dtype {col.dtype}")
    values = col.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(values)
    if bad.any():
        keys = [c for c in ("sku", "store", "date", CUTOFF, MODEL) if c in frame.columns]
        raise ValueRangeError(
            f"column {column!r} of the {name} frame has {int(bad.sum())} NaN or infinite values; "
            f"metrics do not drop rows silently: filter them out first. Rows: "
            + describe_rows(frame.reset_index(drop=True), bad, [*keys, column])
        )
    return values


def quantile_level(column: str) -> float:
    """The quantile level of a column named like ``p10`` (0.1) or ``p2.5`` (0.025).

    Raises
    ------
    ColumnError
        If the name is not ``p`` followed by a percentage strictly between 0 and 100.
    """
    match = _QUANTILE.match(str(column))
    level = float(match.group(1)) / 100.0 if match else -1.0
    if not 0.0 < level < 1.0:
        raise ColumnError(f"{column!r} is not a quantile column name (expected 'p' + percent, e.g. 'p10')")
    return level


def quantile_columns(frame: pd.DataFrame) -> list[str]:
    """The quantile columns of ``frame`` (``p10``, ``p50``, ...), sorted by level."""
    found = []
    for col in frame.columns:
        match = _QUANTILE.match(str(col))
        if match and 0.0 < float(match.group(1)) < 100.0:
            found.append(str(col))
    return sorted(found, key=quantile_level)


def add_horizon(cv: pd.DataFrame, *, freq: str = "D", columns: Columns = Columns()) -> pd.DataFrame:
    """Return ``cv`` with a ``horizon`` column: periods from ``cutoff`` to ``date`` (1 = the first period).

    The cutoff is the last training period, so the day after it has horizon 1. A frame that
    already has a ``horizon`` column is returned unchanged.

    Parameters
    ----------
    cv : pandas.DataFrame
        A backtest frame with ``date`` and ``cutoff`` columns.
    freq : str, default "D"
        The pandas frequency of the dates; horizons count periods of this frequency.
    columns : Columns, default Columns()
        Column names in use.

    Raises
    ------
    ColumnError
        If ``date`` or ``cutoff`` is missing.
    FrequencyError
        If a date or cutoff is off the ``freq`` grid, or a date is not after its cutoff.
    """
    frame = canonical(cv, columns)
    if HORIZON in frame.columns:
        return frame
    require(frame, ["date", CUTOFF])
    date = pd.to_datetime(frame["date"])
    cutoff = pd.to_datetime(frame[CUTOFF])
    try:
        offset = pd.tseries.frequencies.to_offset(freq)
    except ValueError as exc:
        raise FrequencyError(f"freq {freq!r} is not a pandas frequency: {exc}") from None
    lo = min(date.min(), cutoff.min())
    grid = pd.date_range(lo, max(date.max(), cutoff.max()), freq=offset)
    pos_d = grid.get_indexer(pd.DatetimeIndex(date))
    pos_c = grid.get_indexer(pd.DatetimeIndex(cutoff))
    off = (pos_d < 0) | (pos_c < 0)
    if off.any():
        raise FrequencyError(
            f"dates or cutoffs are not on the {freq!r} grid starting {lo.date()}: "
            + describe_rows(frame.reset_index(drop=True), off, ["sku", "store", "date", CUTOFF])
        )
    horizon = pos_d - pos_c
    early = horizon < 1
    if early.any():
        raise FrequencyError(
            f"every date must come after its cutoff (the last training period); found {int(early.sum())} "
            "rows on or before it: "
            + describe_rows(frame.reset_index(drop=True), early, ["sku", "store", "date", CUTOFF])
        )
    return frame.assign(**{HORIZON: horizon.astype(np.int64)})
