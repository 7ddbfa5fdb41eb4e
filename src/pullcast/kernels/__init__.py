"""Numba kernels over grouped arrays ``(data, indptr)``: series ``i`` is ``data[indptr[i]:indptr[i + 1]]``.

Every kernel follows pandas semantics within each series, returns an array of the input dtype
(float32 or float64; sums accumulate in float64), runs in parallel over series with work balanced
by length, and never raises on data (short series and NaN give NaN). Argument errors raise
:class:`pullcast.errors.ConfigError`. Each kernel ``f`` has an ``f_update`` form returning only the
value at the last position of each series, computed from the tail of the series; the kernels that
depend on all history also have ``f_state`` so that their updates are O(1) per series.
"""

from __future__ import annotations

from pullcast.kernels.order import (
    rolling_max,
    rolling_max_update,
    rolling_min,
    rolling_min_update,
    rolling_quantile,
    rolling_quantile_update,
)
from pullcast.kernels.recursive import (
    ewm_mean,
    ewm_mean_state,
    ewm_mean_update,
    expanding_mean,
    expanding_mean_state,
    expanding_mean_update,
    expanding_std,
    expanding_std_state,
    expanding_std_update,
)
from pullcast.kernels.rolling import (
    rolling_mean,
    rolling_mean_update,
    rolling_std,
    rolling_std_update,
    rolling_sum,
    rolling_sum_update,
    seasonal_rolling_mean,
    seasonal_rolling_mean_update,
)
from pullcast.kernels.shift import diff, diff_update, lag, lag_update
from pullcast.kernels.signal import (
    decayed_sum,
    decayed_sum_state,
    decayed_sum_update,
    momentum,
    momentum_update,
    ratio_to_baseline,
    ratio_to_baseline_update,
    rolling_zscore,
    rolling_zscore_update,
)

__all__ = [
    "decayed_sum",
    "decayed_sum_state",
    "decayed_sum_update",
    "diff",
    "diff_update",
    "ewm_mean",
    "ewm_mean_state",
    "ewm_mean_update",
    "expanding_mean",
    "expanding_mean_state",
    "expanding_mean_update",
    "expanding_std",
    "expanding_std_state",
    "expanding_std_update",
    "lag",
    "lag_update",
    "momentum",
    "momentum_update",
    "ratio_to_baseline",
    "ratio_to_baseline_update",
    "rolling_max",
    "rolling_max_update",
    "rolling_mean",
    "rolling_mean_update",
    "rolling_min",
    "rolling_min_update",
    "rolling_quantile",
    "rolling_quantile_update",
    "rolling_std",
    "rolling_std_update",
    "rolling_sum",
    "rolling_sum_update",
    "rolling_zscore",
    "rolling_zscore_update",
    "seasonal_rolling_mean",
    "seasonal_rolling_mean_update",
]
