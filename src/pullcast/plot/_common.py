"""Shared helpers of the plot functions: the lazy matplotlib import and series selection."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from pullcast.columns import Columns
from pullcast.errors import ColumnError, ConfigError, DataError

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def new_figure(n_rows: int, *, width: float = 10.0, row_height: float = 3.2) -> tuple[Figure, list[Any]]:
    """A pyplot-free Figure with ``n_rows`` stacked axes sharing nothing (matplotlib imported here)."""
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ConfigError(
            "pullcast.plot needs matplotlib: pip install 'pullcast[plot]' (or pip install matplotlib)"
        ) from exc
    fig = Figure(figsize=(width, row_height * n_rows), layout="constrained")
    axes = [fig.add_subplot(n_rows, 1, k + 1) for k in range(n_rows)]
    return fig, axes


def require_columns(frame: pd.DataFrame, needed: list[str], what: str) -> None:
    """Raise ColumnError naming the missing columns of ``frame``."""
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"{what} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ColumnError(f"{what} is missing column(s) {missing}; it has {list(frame.columns)}")


def pick_series(
    frame: pd.DataFrame, skus: Any, store: Any, cols: Columns, what: str, limit: int
) -> list[tuple[Any, Any]]:
    """The (sku, store) pairs to draw: each requested SKU at ``store`` (or at its first store)."""
    pairs = frame[cols.keys].drop_duplicates().sort_values(cols.keys)
    if skus is None:
        chosen = [pairs[cols.sku].iloc[0]]
    elif isinstance(skus, str) or not hasattr(skus, "__iter__"):
        chosen = [skus]
    else:
        chosen = list(skus)
    if not chosen:
        raise ConfigError("skus is empty: name at least one SKU")
    if len(chosen) > limit:
        raise ConfigError(f"at most {limit} SKUs per figure, got {len(chosen)}")
    out = []
    for sku in chosen:
        rows = pairs[pairs[cols.sku] == sku]
        if store is not None:
            rows = rows[rows[cols.store] == store]
        if rows.empty:
            where = f"SKU {sku!r}" + (f" at store {store!r}" if store is not None else "")
            known = sorted(pairs[cols.sku].astype(str).unique())[:10]
            raise DataError(f"{where} is not in the {what} (its SKUs include {known})")
        out.append((sku, rows[cols.store].iloc[0]))
    return out


def one_series(frame: pd.DataFrame, sku: Any, store: Any, cols: Columns) -> pd.DataFrame:
    """The rows of one (sku, store) series, sorted by date."""
    mask = (frame[cols.sku] == sku) & (frame[cols.store] == store)
    return frame.loc[mask].sort_values(cols.date)


def date_axis(ax: Any) -> None:
    """Concise date tick labels (no overlapping full dates)."""
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    locator = AutoDateLocator(maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
