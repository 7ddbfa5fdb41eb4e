"""Scale-free and absolute point and quantile metrics over long backtest frames."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pullcast.columns import Columns
from pullcast.metrics._frames import FORECAST, canonical, numeric, quantile_level, require

__all__ = ["bias", "coverage", "mae", "pinball", "rmse", "wape"]


def _pair(cv: pd.DataFrame, forecast: str, columns: Columns) -> tuple[np.ndarray, np.ndarray]:
    frame = canonical(cv, columns)
    require(frame, ["units", forecast])
    return numeric(frame, "units"), numeric(frame, forecast)


def wape(cv: pd.DataFrame, *, forecast: str = FORECAST, columns: Columns = Columns()) -> float:
    """Weighted absolute percentage error, ``sum|units - forecast| / sum|units|``.

    Parameters
    ----------
    cv : pandas.DataFrame
        A backtest (or forecast-with-actuals) frame with ``units`` and the ``forecast`` column.
    forecast : str, default "forecast"
        The column holding the point forecast (a quantile column such as ``"p50"`` works too).
    columns : Columns, default Columns()
        Column names in use.

    Returns
    -------
    float
        NaN when every actual is zero (the ratio is undefined).

    Raises
    ------
    ColumnError
        A required column is missing.
    ValueRangeError
        NaN or infinite actuals or forecasts (filter such rows out first: nothing is dropped silently).
    """
    y, f = _pair(cv, forecast, columns)
    denom = float(np.abs(y).sum())
    if denom == 0:
        return float("nan")
    with np.errstate(over="ignore"):  # a vanishing denominator gives inf, not a warning
        return float(np.abs(y - f).sum() / np.float64(denom))


def mae(cv: pd.DataFrame, *, forecast: str = FORECAST, columns: Columns = Columns()) -> float:
    """Mean absolute error, ``mean|units - forecast|``. Arguments and errors as in :func:`wape`."""
    y, f = _pair(cv, forecast, columns)
    return float(np.mean(np.abs(y - f)))


def rmse(cv: pd.DataFrame, *, forecast: str = FORECAST, columns: Columns = Columns()) -> float:
    """Root mean squared error, ``sqrt(mean (units - forecast)^2)``. Arguments as in :func:`wape`."""
    y, f = _pair(cv, forecast, columns)
    return float(np.sqrt(np.mean((y - f) ** 2)))


def bias(cv: pd.DataFrame, *, forecast: str = FORECAST, columns: Columns = Columns()) -> float:
    """Mean error ``mean(forecast - units)``: positive means over-forecasting, in units.

    Arguments and errors as in :func:`wape`.
    """
    y, f = _pair(cv, forecast, columns)
    return float(np.mean(f - y))


def pinball(cv: pd.DataFrame, quantile: str = "p50", *, columns: Columns = Columns()) -> float:
    """Mean pinball (quantile) loss of one quantile column.

    For level ``q`` (``"p10"`` -> 0.1) and error ``e = units - p``, the loss is ``q * e`` when
    ``e >= 0`` and ``(q - 1) * e`` otherwise (Koenker and Bassett, 1978), averaged over rows.

    Parameters
    ----------
    cv : pandas.DataFrame
        Frame with ``units`` and the quantile column.
    quantile : str, default "p50"
        Name of the quantile column, ``"p"`` + percent (``"p2.5"`` for 0.025).
    columns : Columns, default Columns()
        Column names in use.

    Raises
    ------
    ColumnError
        Missing column or a name that is not a quantile column.
    ValueRangeError
        NaN or infinite values.
    """
    q = quantile_level(quantile)
    y, p = _pair(cv, quantile, columns)
    e = y - p
    return float(np.mean(np.maximum(q * e, (q - 1.0) * e)))


def coverage(
    cv: pd.DataFrame, lower: str = "p10", upper: str = "p90", *, columns: Columns = Columns()
) -> float:
    """Share of actuals inside the interval ``[lower, upper]`` (bounds included).

    Parameters
    ----------
    cv : pandas.DataFrame
        Frame with ``units`` and both quantile columns.
    lower : str, default "p10"
        Column of the lower bound.
    upper : str, default "p90"
        Column of the upper bound. For a 10-90% interval the target is 0.8.
    columns : Columns, default Columns()
        Column names in use.

    Raises
    ------
    ColumnError
        A missing column.
    ValueRangeError
        NaN or infinite values.
    """
    frame = canonical(cv, columns)
    require(frame, ["units", lower, upper])
    y = numeric(frame, "units")
    lo = numeric(frame, lower)
    hi = numeric(frame, upper)
    return float(np.mean((y >= lo) & (y <= hi)))
