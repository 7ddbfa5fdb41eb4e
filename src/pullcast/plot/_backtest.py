"""Backtest error by horizon, one line per model."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from pullcast.errors import ConfigError
from pullcast.plot._common import new_figure, require_columns

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def plot_backtest(
    cv: pd.DataFrame,
    metric: str = "wape",
    *,
    train: pd.DataFrame | None = None,
    season_length: int = 1,
) -> Figure:
    """Error by forecast horizon, one line per model.

    Parameters
    ----------
    cv : pandas.DataFrame
        A backtest frame (:func:`pullcast.backtest`; several models stacked with a ``model`` column),
        scored here with :func:`pullcast.metrics.evaluate` by horizon; or an already scored frame
        with ``horizon``, ``metric`` and ``value`` columns (and optionally ``model``).
    metric : str, default "wape"
        A metric name :func:`pullcast.metrics.evaluate` knows (``wape``, ``mae``, ``rmse``, ``bias``,
        ``mase``, ``rmsse``, ``wrmsse``, ``pinball_p90``, ``coverage_p10_p90``, ...).
    train : pandas.DataFrame or None, default None
        Training sales, needed by the scaled metrics (mase, rmsse, wrmsse).
    season_length : int, default 1
        Seasonal period of the MASE scale.

    Returns
    -------
    matplotlib.figure.Figure
        One axes with one line per model: x = horizon, y = the metric.

    Raises
    ------
    pullcast.errors.ColumnError
        ``cv`` misses the backtest (or scored-frame) columns.
    pullcast.errors.ConfigError
        ``metric`` is unknown or absent from a scored frame.
    """
    if isinstance(cv, pd.DataFrame) and {"metric", "value", "horizon"} <= set(cv.columns):
        scores = cv[cv["metric"] == metric]
        if scores.empty:
            raise ConfigError(
                f"metric {metric!r} is not in the scored frame; it has {sorted(cv['metric'].unique())}"
            )
    else:
        from pullcast.metrics import evaluate

        require_columns(cv, ["sku", "store", "date", "cutoff", "units", "forecast"], "backtest frame")
        scores = evaluate(cv, metrics=[metric], by=("horizon",), train=train, season_length=season_length)
        scores = scores[scores["metric"] == metric]
    if "model" not in scores.columns:
        scores = scores.assign(model="model")
    fig, (ax,) = new_figure(1, width=8.0, row_height=4.0)
    for model, rows in scores.groupby("model", sort=True):
        rows = rows.sort_values("horizon")
        ax.plot(rows["horizon"], rows["value"], marker="o", ms=3, label=str(model))
    ax.set_xlabel("horizon (periods after the cutoff)")
    ax.set_ylabel(metric)
    ax.set_title(f"{metric} by horizon")
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    return fig
