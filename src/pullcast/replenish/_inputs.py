"""Boundary of the replenishment layer: validate inventory and params, read forecasts.

Everything downstream works on arrays aligned with one ``ids`` frame (sku, store).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pullcast.columns import FORECAST_MEAN, Columns
from pullcast.errors import ColumnError, ConfigError, DataError, DateError, DuplicateRowError, ValueRangeError
from pullcast.panel import describe_rows
from pullcast.replenish.policies import ReplenishParams, SamplePaths

__all__ = ["ForecastInput", "read_forecast", "read_inventory", "read_params"]

_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


@dataclass
class ForecastInput:
    """A forecast read into arrays: either sample paths or daily mean and standard deviation."""

    ids: pd.DataFrame
    dates: pd.DatetimeIndex
    paths: np.ndarray | None = None  # (n, P, H)
    mean: np.ndarray | None = None  # (n, H)
    sd: np.ndarray | None = None  # (n, H)

    @property
    def horizon(self) -> int:
        return len(self.dates)


def _pair_text(frame: pd.DataFrame, cols: Columns, limit: int = 5) -> str:
    pairs = [f"(sku={r[0]!r}, store={r[1]!r})" for r in frame[cols.keys].head(limit).itertuples(index=False)]
    more = f" and {len(frame) - limit} more" if len(frame) > limit else ""
    return ", ".join(pairs) + more


def _require(frame: Any, needed: list[str], what: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"{what} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ColumnError(f"{what} frame is missing column(s) {missing}; it has {list(frame.columns)}")
    return frame


def _quantile_sd(frame: pd.DataFrame, keys: list[str]) -> np.ndarray | None:
    qcols = {}
    for c in frame.columns:
        if isinstance(c, str) and c.startswith("p"):
            try:
                qcols[float(c[1:]) / 100.0] = c
            except ValueError:
                continue
    pairs = [(q, 1.0 - q) for q in qcols if q < 0.5 and any(abs(1.0 - q - o) < 1e-9 for o in qcols)]
    if not pairs:
        return None
    lo = min(pairs)[0]  # the widest symmetric pair, e.g. p10/p90
    hi = next(o for o in qcols if abs(1.0 - lo - o) < 1e-9)
    from scipy import stats

    z = float(stats.norm.ppf(hi))
    spread = frame[qcols[hi]].to_numpy(np.float64) - frame[qcols[lo]].to_numpy(np.float64)
    bad = ~np.isfinite(spread)
    if bad.any():
        raise ValueRangeError(
            f"forecast columns {qcols[lo]!r} and {qcols[hi]!r} must be finite (they set the safety "
            "stock); found bad values at " + describe_rows(frame, bad, [*keys, qcols[lo], qcols[hi]])
        )
    return np.maximum(spread, 0.0) / (2.0 * z)


def read_forecast(forecast: Any, cols: Columns, as_of: pd.Timestamp | None = None) -> ForecastInput:
    """Accept a forecast frame, a :class:`SamplePaths`, or an ``(ids, paths[, dates])`` tuple.

    Sample paths without dates start on ``as_of`` (then required).
    """
    if isinstance(forecast, tuple):
        forecast = SamplePaths(*forecast)
    if isinstance(forecast, SamplePaths):
        ids = _require(forecast.ids, cols.keys, "sample-path ids").reset_index(drop=True)
        _no_duplicate_pairs(ids, cols, "sample-path ids")
        paths = np.asarray(forecast.paths)
        if not np.issubdtype(paths.dtype, np.number):
            raise DataError(f"paths must be numeric, got dtype {paths.dtype}")
        bad = (~np.isfinite(paths) | (paths < 0)).any(axis=(1, 2))  # shape checked by SamplePaths
        if bad.any():
            raise ValueRangeError(
                "sample paths must be finite and >= 0 (a NaN demand would order nothing); found bad "
                "values for " + describe_rows(ids, bad, list(cols.keys))
            )
        if forecast.dates is not None:
            dates = pd.DatetimeIndex(forecast.dates)
        elif as_of is not None:
            dates = pd.date_range(as_of, periods=paths.shape[2], freq="D")
        else:
            raise ConfigError("sample paths without dates need as_of (the date of the first path day)")
        return ForecastInput(ids=ids[cols.keys], dates=dates, paths=paths)
    frame = _require(forecast, [*cols.keys, cols.date, FORECAST_MEAN], "forecast")
    frame = frame.sort_values([*cols.keys, cols.date], kind="stable").reset_index(drop=True)
    try:
        dates = pd.to_datetime(frame[cols.date])
    except (ValueError, TypeError) as exc:
        raise DateError(f"forecast column {cols.date!r} cannot be read as dates: {exc}") from None
    mean = frame[FORECAST_MEAN].to_numpy(np.float64)
    bad = ~np.isfinite(mean) | (mean < 0)
    if bad.any():
        raise ValueRangeError(
            f"forecast column {FORECAST_MEAN!r} must be finite and >= 0; found bad values at "
            + describe_rows(frame, bad, [*cols.keys, cols.date, FORECAST_MEAN])
        )
    sd = _quantile_sd(frame, [*cols.keys, cols.date])
    if sd is None:  # no quantiles: Poisson-like spread
        sd = np.sqrt(mean)
    grid = pd.DatetimeIndex(sorted(dates.unique()))
    ids = frame[cols.keys].drop_duplicates().reset_index(drop=True)
    n, h = len(ids), len(grid)
    if n * h != len(frame):
        raise DataError(
            f"every SKU-store in the forecast must cover the same {h} dates; the frame has {len(frame)} rows "
            f"for {n} SKU-stores (duplicates or gaps)"
        )
    pos = grid.get_indexer(dates)
    if not np.array_equal(pos.reshape(n, h), np.tile(np.arange(h), (n, 1))):
        raise DataError("every SKU-store in the forecast must cover the same dates, once each")
    return ForecastInput(ids=ids, dates=grid, mean=mean.reshape(n, h), sd=sd.reshape(n, h))


def _no_duplicate_pairs(frame: pd.DataFrame, cols: Columns, what: str) -> None:
    dup = frame.duplicated(cols.keys, keep=False).to_numpy()
    if dup.any():
        raise DuplicateRowError(f"{what} repeats SKU-store pairs: " + _pair_text(frame[dup], cols))


def read_inventory(
    inventory: Any, ids: pd.DataFrame, cols: Columns, *, as_of: pd.Timestamp | None
) -> pd.DataFrame:
    """Inventory aligned with ``ids``: columns on_hand, on_order, arrival_offset (days from as_of)."""
    inv = _require(inventory, [*cols.keys, "on_hand"], "inventory")
    _no_duplicate_pairs(inv, cols, "inventory")
    for col in ("on_hand", "on_order"):
        if col not in inv.columns:
            continue
        vals = pd.to_numeric(inv[col], errors="coerce").to_numpy(np.float64)
        bad = ~np.isfinite(vals) | (vals < 0) if col == "on_hand" else (vals < 0)
        if bad.any():
            raise ValueRangeError(
                f"inventory column {col!r} must be a number >= 0 (not NaN); found "
                + describe_rows(inv, bad, [*cols.keys, col])
            )
    merged = ids.merge(inv, on=cols.keys, how="outer", indicator=True, sort=False)
    only_fc = merged[merged["_merge"] == "left_only"]
    only_inv = merged[merged["_merge"] == "right_only"]
    if len(only_fc) or len(only_inv):
        parts = []
        if len(only_fc):
            parts.append(f"in the forecast but not the inventory: {_pair_text(only_fc, cols)}")
        if len(only_inv):
            parts.append(f"in the inventory but not the forecast: {_pair_text(only_inv, cols)}")
        raise DataError("forecast and inventory must cover the same SKU-store pairs; " + "; ".join(parts))
    out = ids.merge(inv, on=cols.keys, how="left", sort=False)
    res = pd.DataFrame({"on_hand": out["on_hand"].to_numpy(np.float64)})
    on_order = out["on_order"].fillna(0.0).to_numpy(np.float64) if "on_order" in out else np.zeros(len(out))
    res["on_order"] = on_order
    offset = np.zeros(len(out), dtype=np.int64)
    if "arrival_date" in out.columns and as_of is not None:
        arr = pd.to_datetime(out["arrival_date"])
        days = ((arr - as_of) / pd.Timedelta(days=1)).to_numpy(np.float64)
        offset = np.where(np.isfinite(days), np.maximum(days, 0.0), 0.0).astype(np.int64)
    res["arrival_offset"] = offset
    return res


def _parse_order_days(text: Any, cols: Columns, row: Any) -> int:
    if text is None or (isinstance(text, float) and np.isnan(text)) or text == "":
        return 0
    mask = 0
    for part in str(text).replace("|", ",").split(","):
        key = part.strip().lower()[:3]
        if key not in _WEEKDAYS:
            raise ValueRangeError(
                f"order_days {text!r} for (sku={row[0]!r}, store={row[1]!r}) is not a list of weekdays "
                "like 'Mon,Thu'"
            )
        mask |= 1 << _WEEKDAYS[key]
    return mask


def read_params(params: Any, ids: pd.DataFrame, cols: Columns) -> pd.DataFrame:
    """Per-series parameters aligned with ``ids`` (defaults fill what ``params`` does not give).

    ``params`` is None, a :class:`ReplenishParams` (same for all), or a frame with the sku and store
    columns plus any :class:`ReplenishParams` field as a column. Rows for pairs absent from the
    forecast are not used.
    """
    defaults = params if isinstance(params, ReplenishParams) else ReplenishParams()
    out = pd.DataFrame({name: [getattr(defaults, name)] * len(ids) for name in ReplenishParams.names()})
    out = pd.concat([ids.reset_index(drop=True), out], axis=1)
    if isinstance(params, pd.DataFrame):
        _require(params, cols.keys, "params")
        _no_duplicate_pairs(params, cols, "params")
        given = [c for c in params.columns if c in ReplenishParams.names()]
        joined = ids.merge(params[[*cols.keys, *given]], on=cols.keys, how="left", sort=False, indicator=True)
        listed = (joined.pop("_merge") == "both").to_numpy()
        for c in given:
            col = joined[c]
            blank = listed & col.isna().to_numpy()
            if pd.api.types.is_numeric_dtype(col) and blank.any():  # listed, no value: not a default
                raise ValueRangeError(
                    f"params column {c!r} is missing (NaN) for {int(blank.sum())} series it lists; give "
                    f"the value, or leave the series out of params to use the default "
                    f"{getattr(defaults, c)!r}: " + describe_rows(joined, blank, [*cols.keys, c])
                )
            out[c] = (
                col.where(col.notna(), out[c])
                if col.dtype != object
                else [
                    d if v is None or (isinstance(v, float) and np.isnan(v)) else v
                    for v, d in zip(col, out[c], strict=True)
                ]
            )
    elif params is not None and not isinstance(params, ReplenishParams):
        raise DataError(f"params must be None, a ReplenishParams or a DataFrame, got {type(params).__name__}")
    _validate_params(out, cols)
    out["order_days_mask"] = [
        _parse_order_days(t, cols, r)
        for t, r in zip(out["order_days"], out[cols.keys].itertuples(index=False), strict=True)
    ]
    return out


def _validate_params(p: pd.DataFrame, cols: Columns) -> None:
    keys = list(cols.keys)

    def num(c: str) -> np.ndarray:
        return pd.to_numeric(p[c], errors="coerce").to_numpy(np.float64)

    checks = [
        ("case_pack", ~(num("case_pack") > 0), "case_pack must be > 0"),
        (
            "lead_time",
            ~(num("lead_time") >= 0) | (num("lead_time") != np.round(num("lead_time"))),
            "lead_time must be a whole number of days >= 0",
        ),
        ("review_period", ~(num("review_period") >= 1), "review_period must be >= 1 day"),
        ("moq", ~(num("moq") >= 0), "moq must be >= 0"),
        ("shelf_capacity", ~(num("shelf_capacity") > 0), "shelf_capacity must be > 0"),
        (
            "shelf_life",
            ~(num("shelf_life") >= 0) | (num("shelf_life") != np.round(num("shelf_life"))),
            "shelf_life must be a whole number of days >= 0 (0 = no expiry)",
        ),
        ("unit_cost", ~(num("unit_cost") >= 0), "unit_cost must be >= 0"),
        ("price", ~(num("price") >= num("unit_cost")), "price must be >= unit_cost"),
        (
            "salvage",
            ~((num("salvage") >= 0) & (num("salvage") <= num("unit_cost"))),
            "salvage must be between 0 and unit_cost",
        ),
        ("holding_cost", ~(num("holding_cost") >= 0), "holding_cost must be >= 0"),
        ("lost_sale_penalty", ~(num("lost_sale_penalty") >= 0), "lost_sale_penalty must be >= 0"),
        ("fixed_order_cost", ~(num("fixed_order_cost") >= 0), "fixed_order_cost must be >= 0"),
    ]
    for col in ("unit_cost", "price", "salvage", "holding_cost", "lost_sale_penalty", "fixed_order_cost"):
        checks.append((col, np.isinf(num(col)), f"{col} must be finite (an infinite cost makes ratios NaN)"))
    for col, bad, msg in checks:
        if bad.any():
            extra = ["unit_cost"] if col in ("price", "salvage") else []
            raise ValueRangeError(f"{msg}; found " + describe_rows(p, bad, [*keys, col, *extra]))
    for i, pmf in enumerate(p["lead_time_pmf"]):
        if pmf is None:
            continue
        arr = np.asarray(pmf, dtype=np.float64)
        if (
            arr.ndim != 1
            or arr.size == 0
            or np.any(~np.isfinite(arr))
            or np.any(arr < 0)
            or abs(arr.sum() - 1) > 1e-6
        ):
            raise ValueRangeError(
                "lead_time_pmf must be probabilities of 0, 1, 2, ... days summing to 1; found "
                + describe_rows(p, np.arange(len(p)) == i, [*keys, "lead_time_pmf"])
            )
