"""Forecast accuracy metrics: pure functions over long backtest frames (docs/architecture.md).

A backtest frame has ``sku, store, date, cutoff, units`` (actual), ``forecast`` and quantile columns
``p10, p50, p90, ...``, optionally ``model``. Point metrics (:func:`wape`, :func:`mae`, :func:`rmse`,
:func:`bias`) and quantile metrics (:func:`pinball`, :func:`coverage`) need only the frame;
scale-based metrics (:func:`mase`, :func:`rmsse`, :func:`wrmsse`) also take the training sales frame.
:func:`evaluate` returns a tidy table by model and horizon; :func:`fva` the forecast value added of
each model against a named baseline. NaN actuals or forecasts raise an error naming the rows: filter
them out (for example censored stockout days) explicitly before scoring.
"""

from __future__ import annotations

from pullcast.metrics._evaluate import evaluate, fva
from pullcast.metrics._frames import add_horizon, quantile_columns, quantile_level
from pullcast.metrics._point import bias, coverage, mae, pinball, rmse, wape
from pullcast.metrics._scaled import mase, rmsse, wrmsse

__all__ = [
    "add_horizon",
    "bias",
    "coverage",
    "evaluate",
    "fva",
    "mae",
    "mase",
    "pinball",
    "quantile_columns",
    "quantile_level",
    "rmse",
    "rmsse",
    "wape",
    "wrmsse",
]
