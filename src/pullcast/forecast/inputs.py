"""Boundary work of the Forecaster: canonical column names, covariates, statics, future frames."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from pullcast.columns import Columns
from pullcast.errors import ColumnError, DataError
from pullcast.panel import Panel, describe_rows

__all__ = ["canonical", "choose_covariates", "future_covariates", "static_frame", "user_names"]

_STOCK = ("on_hand", "in_stock")


def canonical(frame: pd.DataFrame, columns: Columns, what: str) -> pd.DataFrame:
    """Rename the user's columns to pullcast's default names (the one place renaming happens)."""
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"{what} must be a pandas DataFrame, got {type(frame).__name__}")
    mapping = {k: v for k, v in columns.canonical().items() if k in frame.columns and k != v}
    out = frame.rename(columns=mapping) if mapping else frame
    repeated = sorted({str(c) for c in out.columns[out.columns.duplicated()]})
    if repeated:
        renamed = {v: k for k, v in mapping.items()}
        named = [
            f"{c!r} (renamed from {renamed[c]!r} by columns=)" if c in renamed else repr(c) for c in repeated
        ]
        raise ColumnError(f"{what} frame has more than one column named {', '.join(named)}")
    return out


def user_names(frame: pd.DataFrame, columns: Columns) -> pd.DataFrame:
    """Rename default names back to the user's."""
    mapping = {k: v for k, v in columns.user().items() if k in frame.columns and k != v}
    return frame.rename(columns=mapping) if mapping else frame


def sales_panel(frame: pd.DataFrame, freq: str) -> Panel:
    """The sales panel the Forecaster uses: days absent from the frame are zero sales, while NaN units
    (a closed store, a data gap) stay NaN and count as unknown demand, like a stockout."""
    panel = Panel.from_frame(frame, freq=freq, dtype=np.float64, fill_missing="nan")
    units = panel.values()
    units[panel.filled] = 0.0
    return panel


def choose_covariates(panel: Panel, requested: Sequence[str] | None) -> tuple[str, ...]:
    """Known-ahead numeric covariates: the requested ones (checked) or every numeric extra column."""
    units = panel.columns.units
    numeric = []
    for col in panel.value_columns:
        if col == units or col in _STOCK:
            continue
        try:
            panel.values(col)
        except ColumnError:
            continue
        numeric.append(col)
    if requested is None:
        return tuple(numeric)
    missing = [c for c in requested if c not in numeric]
    if missing:
        raise ColumnError(
            f"covariate column(s) {missing} are not numeric columns of the sales frame {numeric}"
        )
    return tuple(requested)


def static_frame(panel: Panel, requested: Sequence[str] | None) -> pd.DataFrame:
    """Per-series categorical attributes: sku, store, and the attribute columns constant per series."""
    ids = panel.ids.reset_index(drop=True)
    out = ids.copy()
    candidates = [c for c in panel.value_columns if panel._data[c].dtype == object]
    chosen = list(requested) if requested is not None else candidates
    for col in chosen:
        if col not in candidates:
            raise ColumnError(f"static column {col!r} is not a non-numeric column of the sales frame")
        flat = panel._data[col]
        keep = ~panel.filled
        codes = panel.series_codes()[keep]
        values = pd.Series(flat[keep]).astype(str)
        per = pd.DataFrame({"s": codes, "v": values}).groupby("s")["v"]
        if (per.nunique() > 1).any() and requested is not None:
            bad = int(np.flatnonzero((per.nunique() > 1).to_numpy())[0])
            sku, store = ids.iloc[bad, 0], ids.iloc[bad, 1]
            raise DataError(f"static column {col!r} changes within series sku={sku!r}, store={store!r}")
        if (per.nunique() > 1).any():
            continue
        out[col] = per.first().reindex(range(len(ids))).to_numpy()
    return out


def future_covariates(
    future: pd.DataFrame | None,
    ids: pd.DataFrame,
    dates: pd.DatetimeIndex,
    series: np.ndarray,
    covariates: tuple[str, ...],
) -> dict[str, np.ndarray]:
    """Known-ahead covariate values for prediction rows (``series``, ``dates``) from ``future``.

    Raises
    ------
    ColumnError
        A covariate column is missing from ``future`` (or ``future`` is None).
    DataError
        Some (sku, store, date) rows of the horizon are absent or hold NaN.
    """
    if not covariates:
        return {}
    if future is None:
        raise ColumnError(
            f"this model was fit with known-ahead covariates {list(covariates)}: pass future= a frame with "
            "sku, store, date and those columns for every forecast date"
        )
    missing = [c for c in ("sku", "store", "date", *covariates) if c not in future.columns]
    if missing:
        raise ColumnError(f"future frame is missing column(s) {missing}; it has {list(future.columns)}")
    want = pd.DataFrame(
        {"sku": ids["sku"].to_numpy()[series], "store": ids["store"].to_numpy()[series], "date": dates}
    )
    fut = future.assign(date=pd.to_datetime(future["date"]).astype("datetime64[ns]"))
    fut = fut.drop_duplicates(["sku", "store", "date"], keep="last")
    merged = want.merge(fut[["sku", "store", "date", *covariates]], on=["sku", "store", "date"], how="left")
    bad = merged[list(covariates)].isna().any(axis=1).to_numpy()
    if bad.any():
        raise DataError(
            f"future frame lacks values of {list(covariates)} for {int(bad.sum())} forecast rows: "
            + describe_rows(merged, bad, ["sku", "store", "date"])
        )
    return {c: merged[c].to_numpy(dtype=np.float64) for c in covariates}


def horizon_dates(last: pd.DatetimeIndex, horizon: int, freq: str) -> pd.DatetimeIndex:
    """Target dates ``last + h`` periods for h = 1..horizon, row-major (series, h)."""
    offset = pd.tseries.frequencies.to_offset(freq)
    steps = [last + offset * h for h in range(1, horizon + 1)]
    stacked = np.stack([np.asarray(s.values) for s in steps], axis=1).reshape(-1)
    return pd.DatetimeIndex(stacked)
