"""Scale-based metrics: MASE, RMSSE and the M5 WRMSSE.

Each series' errors are divided by a scale computed from its own training history, as known at the
cutoff of the window being scored (``train`` rows with ``date <= cutoff``; all of ``train`` when the
frame has no ``cutoff`` column).

- MASE (Hyndman and Koehler, 2006): ``mean|e| / mean|y_t - y_{t-m}|`` over the training data.
- RMSSE (M5 Competitors' Guide, 2020; Makridakis, Spiliotis and Assimakopoulos, 2022, IJF 38(4)):
  ``sqrt(mean e^2 / ((1/(n-1)) * sum_{t=2..n} (y_t - y_{t-1})^2))``, the training history starting
  at the series' first non-zero sale (leading zeros are trimmed, as in M5).
- WRMSSE: ``sum_i w_i RMSSE_i`` with the weights renormalised to sum to one over the series scored.

Training rows are taken in date order; NaN training values are skipped (a difference touching one is
left out). A series with no usable scale (fewer than two values, or a constant history) raises a
:class:`pullcast.errors.DataError` naming it instead of being dropped.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pullcast.columns import Columns
from pullcast.errors import ColumnError, ConfigError, DataError, ValueRangeError
from pullcast.metrics._frames import CUTOFF, FORECAST, canonical, numeric, require

__all__ = ["WEIGHT_PERIODS", "attach_scales", "mase", "mase_of", "rmsse", "rmsse_of", "wrmsse", "wrmsse_of"]

KEYS = ["sku", "store"]
SCALE_MASE = "__scale_mase"
SCALE_RMSSE = "__scale_rmsse"
WEIGHT = "__weight"
WEIGHT_PERIODS = 28  # default weights: sales over the last 28 training periods (M5 uses dollar sales)
_MAX_LISTED = 5


def _train_frame(train: pd.DataFrame | None, columns: Columns) -> pd.DataFrame:
    if train is None:
        raise ConfigError(
            "scale-based metrics (mase, rmsse, wrmsse) need the training sales frame: train=..."
        )
    frame = canonical(train, columns, "train")
    require(frame, [*KEYS, "date", "units"], "train")
    units = frame["units"].to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isinf(units).any() or (units < 0).any():
        raise ValueRangeError("column 'units' of the train frame must be finite and >= 0")
    out = frame[[*KEYS, "date"]].assign(date=pd.to_datetime(frame["date"]), units=units)
    if "price" in frame.columns:
        out["price"] = frame["price"].to_numpy(dtype=np.float64, na_value=np.nan)
    return out.sort_values([*KEYS, "date"], kind="mergesort", ignore_index=True)


def _scale_table(train: pd.DataFrame, kind: str, season_length: int) -> pd.DataFrame:
    """Per-series scale from a (sorted) training frame: columns sku, store, scale."""
    t = train
    if kind == "rmsse":
        started = (t["units"] > 0).astype(np.int64).groupby([t["sku"], t["store"]], sort=False).cumsum() > 0
        t = t[started.to_numpy()]
    lagged = t.groupby(KEYS, sort=False)["units"].shift(season_length)
    diff = (t["units"] - lagged).to_numpy()
    stat = diff**2 if kind == "rmsse" else np.abs(diff)
    table = t[KEYS].assign(scale=stat).groupby(KEYS, sort=False, as_index=False)["scale"].mean()
    return table


def _per_cutoff(frame: pd.DataFrame) -> list[tuple[object, np.ndarray]]:
    if CUTOFF not in frame.columns:
        return [(None, np.ones(len(frame), dtype=bool))]
    cut = pd.to_datetime(frame[CUTOFF])
    return [(c, (cut == c).to_numpy()) for c in cut.unique()]


def _lookup(rows: pd.DataFrame, table: pd.DataFrame, column: str) -> np.ndarray:
    merged = rows[KEYS].merge(table, on=KEYS, how="left", sort=False, validate="many_to_one")
    return merged[column].to_numpy(dtype=np.float64, na_value=np.nan)


def _name_series(rows: pd.DataFrame, bad: np.ndarray) -> str:
    pairs = rows.loc[bad, KEYS].drop_duplicates()
    shown = ", ".join(f"(sku={a!r}, store={b!r})" for a, b in pairs.head(_MAX_LISTED).itertuples(index=False))
    more = f" and {len(pairs) - _MAX_LISTED} more" if len(pairs) > _MAX_LISTED else ""
    return shown + more


def _default_weights(train: pd.DataFrame) -> pd.DataFrame:
    dates = np.sort(train["date"].unique())
    first = dates[max(0, dates.size - WEIGHT_PERIODS)]
    recent = train[train["date"] >= first]
    value = recent["units"] * recent["price"] if "price" in recent.columns else recent["units"]
    return recent[KEYS].assign(weight=value.to_numpy()).groupby(KEYS, as_index=False)["weight"].sum()


def _user_weights(weights: pd.DataFrame | pd.Series, columns: Columns) -> pd.DataFrame:
    if isinstance(weights, pd.Series):
        if weights.index.nlevels != 2:
            raise ColumnError("weights given as a Series must be indexed by (sku, store)")
        table = weights.rename("weight").rename_axis(KEYS).reset_index()
    elif isinstance(weights, pd.DataFrame):
        table = canonical(weights, columns, "weights")
        require(table, [*KEYS, "weight"], "weights")
        table = table[[*KEYS, "weight"]]
    else:
        raise DataError(f"weights must be a DataFrame (sku, store, weight) or a Series, got {type(weights)}")
    w = table["weight"].to_numpy(dtype=np.float64, na_value=np.nan)
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueRangeError("weights must be finite and >= 0")
    if table.duplicated(KEYS).any():
        raise DataError("weights hold the same (sku, store) more than once")
    return table.assign(weight=w)


def attach_scales(
    frame: pd.DataFrame,
    train: pd.DataFrame | None,
    *,
    kinds: tuple[str, ...],
    season_length: int = 1,
    weights: pd.DataFrame | pd.Series | None = None,
    columns: Columns = Columns(),
) -> pd.DataFrame:
    """``frame`` (canonical names) with per-row scale and weight columns for the requested ``kinds``.

    ``kinds`` holds any of ``"mase"``, ``"rmsse"``, ``"weight"``. Raises :class:`DataError` naming
    the series that have no training history, no usable scale, or no weight.
    """
    if int(season_length) != season_length or season_length < 1:
        raise ConfigError(f"season_length must be an integer >= 1, got {season_length!r}")
    tr = _train_frame(train, columns)
    user_w = _user_weights(weights, columns) if weights is not None and "weight" in kinds else None
    out = {SCALE_MASE: np.full(len(frame), np.nan), SCALE_RMSSE: np.full(len(frame), np.nan)}
    out[WEIGHT] = np.full(len(frame), np.nan)
    for cutoff, mask in _per_cutoff(frame):
        sub = tr if cutoff is None else tr[tr["date"] <= cutoff]
        rows = frame.loc[mask]
        when = "" if cutoff is None else f" at cutoff {pd.Timestamp(cutoff).date()}"  # type: ignore[arg-type]
        for kind, col in (("mase", SCALE_MASE), ("rmsse", SCALE_RMSSE)):
            if kind not in kinds:
                continue
            scale = _lookup(
                rows, _scale_table(sub, kind, int(season_length) if kind == "mase" else 1), "scale"
            )
            bad = ~(np.isfinite(scale) & (scale > 0))
            if bad.any():
                raise DataError(
                    f"{kind} needs a non-zero scale from each series' training history{when}; these series "
                    f"have none (no training rows, fewer than two usable values, or a constant history): "
                    f"{_name_series(rows, bad)}. Score them with wape/mae or drop them from the frame."
                )
            out[col][mask] = scale
        if "weight" in kinds:
            table = user_w if user_w is not None else _default_weights(sub)
            w = _lookup(rows, table, "weight")
            bad = np.isnan(w)
            if bad.any():
                raise DataError(f"no weight for series {_name_series(rows, bad)}{when}")
            out[WEIGHT][mask] = w
    return frame.assign(**{k: v for k, v in out.items() if not np.isnan(v).all()})


def _pair_errors(frame: pd.DataFrame, forecast: str) -> pd.DataFrame:
    require(frame, ["units", forecast, *KEYS])
    err = numeric(frame, "units") - numeric(frame, forecast)
    group = [*KEYS, CUTOFF] if CUTOFF in frame.columns else list(KEYS)
    return frame[group].assign(abs_err=np.abs(err), sq_err=err**2)


def mase_of(frame: pd.DataFrame, forecast: str = FORECAST) -> float:
    """MASE of a frame that already carries scales (see :func:`attach_scales`)."""
    e = _pair_errors(frame, forecast).assign(scale=frame[SCALE_MASE].to_numpy())
    g = e.groupby([c for c in e.columns if c in (*KEYS, CUTOFF)], sort=False)
    per = g["abs_err"].mean() / g["scale"].first()
    return float(per.mean())


def _rmsse_pairs(frame: pd.DataFrame, forecast: str) -> pd.DataFrame:
    e = _pair_errors(frame, forecast).assign(scale=frame[SCALE_RMSSE].to_numpy())
    if WEIGHT in frame.columns:
        e["weight"] = frame[WEIGHT].to_numpy()
    keys = [c for c in e.columns if c in (*KEYS, CUTOFF)]
    agg = {"sq_err": "mean", "scale": "first", **({"weight": "first"} if "weight" in e.columns else {})}
    per = e.groupby(keys, sort=False, as_index=False).agg(agg)
    return per.assign(rmsse=np.sqrt(per["sq_err"] / per["scale"]))


def rmsse_of(frame: pd.DataFrame, forecast: str = FORECAST) -> float:
    """Mean RMSSE over series (and cutoffs) of a frame that already carries scales."""
    return float(_rmsse_pairs(frame, forecast)["rmsse"].mean())


def wrmsse_of(frame: pd.DataFrame, forecast: str = FORECAST) -> float:
    """WRMSSE of a frame that already carries scales and weights; the mean over cutoffs if several."""
    per = _rmsse_pairs(frame, forecast)
    parts = [per] if CUTOFF not in per.columns else [g for _, g in per.groupby(CUTOFF, sort=True)]
    values = []
    for part in parts:
        total = float(part["weight"].sum())
        if total <= 0:
            raise DataError("the weights of the series scored sum to zero: WRMSSE is undefined")
        values.append(float((part["weight"] * part["rmsse"]).sum() / total))
    return float(np.mean(values))


def mase(
    cv: pd.DataFrame,
    train: pd.DataFrame,
    *,
    forecast: str = FORECAST,
    season_length: int = 1,
    columns: Columns = Columns(),
) -> float:
    """Mean absolute scaled error, averaged over series (and cutoffs).

    Per series, ``mean|units - forecast|`` divided by the in-sample mean absolute
    ``season_length``-step naive error on ``train`` up to the cutoff (Hyndman and Koehler, 2006).

    Parameters
    ----------
    cv : pandas.DataFrame
        Backtest frame: ``sku, store, date, units`` and ``forecast``; optional ``cutoff``.
    train : pandas.DataFrame
        The sales frame the models were trained on (``sku, store, date, units``).
    forecast : str, default "forecast"
        The forecast column.
    season_length : int, default 1
        Seasonal period of the naive scale (7 for weekly seasonality in daily data).
    columns : Columns, default Columns()
        Column names in use (both frames).

    Raises
    ------
    ColumnError
        Missing columns.
    DataError
        A series with no training history or a zero scale (named in the message).
    ValueRangeError
        NaN or infinite actuals or forecasts.
    """
    frame = canonical(cv, columns)
    require(frame, [*KEYS, "date", "units", forecast])
    frame = attach_scales(frame, train, kinds=("mase",), season_length=season_length, columns=columns)
    return mase_of(frame, forecast)


def rmsse(
    cv: pd.DataFrame, train: pd.DataFrame, *, forecast: str = FORECAST, columns: Columns = Columns()
) -> float:
    """Root mean squared scaled error (M5 definition), the unweighted mean over series (and cutoffs).

    Arguments and errors as in :func:`mase`; the scale is the mean squared one-step difference of the
    training history from each series' first non-zero sale.
    """
    frame = canonical(cv, columns)
    require(frame, [*KEYS, "date", "units", forecast])
    frame = attach_scales(frame, train, kinds=("rmsse",), columns=columns)
    return rmsse_of(frame, forecast)


def wrmsse(
    cv: pd.DataFrame,
    train: pd.DataFrame,
    weights: pd.DataFrame | pd.Series | None = None,
    *,
    forecast: str = FORECAST,
    columns: Columns = Columns(),
) -> float:
    """Weighted RMSSE, M5 style: ``sum_i w_i RMSSE_i / sum_i w_i`` over the series in ``cv``.

    Parameters
    ----------
    cv : pandas.DataFrame
        Backtest frame: ``sku, store, date, units`` and ``forecast``; optional ``cutoff`` (with several
        cutoffs, the WRMSSE of each window is computed and their mean returned).
    train : pandas.DataFrame
        The training sales frame (``sku, store, date, units``, optional ``price``).
    weights : pandas.DataFrame or pandas.Series or None, default None
        Per-series weights: a frame with ``sku, store, weight`` or a Series indexed by (sku, store).
        They are renormalised over the series scored. None uses each series' sales over the last 28
        training periods (revenue, ``units * price``, when ``train`` has a ``price`` column; M5 used
        revenue).
    forecast : str, default "forecast"
        The forecast column.
    columns : Columns, default Columns()
        Column names in use.

    Raises
    ------
    ColumnError
        Missing columns.
    DataError
        A series with no usable scale or no weight (named), or weights summing to zero.
    ValueRangeError
        NaN/infinite actuals or forecasts, negative weights.
    """
    frame = canonical(cv, columns)
    require(frame, [*KEYS, "date", "units", forecast])
    frame = attach_scales(frame, train, kinds=("rmsse", "weight"), weights=weights, columns=columns)
    return wrmsse_of(frame, forecast)
