"""Naive, seasonal naive and moving-average baselines (vectorised NumPy over grouped arrays).

NaN values (missing or censored periods) are skipped: each method uses the latest *observed* values.
"""

from __future__ import annotations

import numpy as np

from pullcast.models._base import Baseline, FlatBaseline, check_positive_int

__all__ = ["MovingAverage", "Naive", "SeasonalNaive"]


def _series_codes(indptr: np.ndarray) -> np.ndarray:
    return np.repeat(np.arange(indptr.size - 1, dtype=np.int64), np.diff(indptr))


def _ffill_index(valid: np.ndarray, group_first: np.ndarray) -> np.ndarray:
    """Index of the last valid element at or before each position within its contiguous group, or -1."""
    idx = np.where(valid, np.arange(valid.size, dtype=np.int64), -1)
    last = np.maximum.accumulate(idx) if idx.size else idx
    return np.where(last >= group_first, last, -1)


def _previous(values: np.ndarray, last: np.ndarray, group_first: np.ndarray) -> np.ndarray:
    """Value of the last valid element strictly before each position in its group (NaN if none)."""
    out = np.full(values.size, np.nan)
    if values.size == 0:
        return out
    prev = np.empty_like(last)
    prev[0] = -1
    prev[1:] = last[:-1]
    pos = np.arange(values.size)
    ok = (pos > group_first) & (prev >= group_first)
    out[ok] = values[prev[ok]]
    return out


class Naive(FlatBaseline):
    """Last observed value, repeated over the horizon.

    ``fitted_[t]`` is the last non-NaN value before ``t`` (NaN if there is none).
    """

    def __init__(self) -> None:
        pass

    def _fit(self, y: np.ndarray, indptr: np.ndarray) -> np.ndarray:
        codes = _series_codes(indptr)
        first = indptr[:-1][codes]
        last = _ffill_index(~np.isnan(y), first)
        level = np.full(indptr.size - 1, np.nan)
        ends = indptr[1:] - 1
        nonempty = np.diff(indptr) > 0
        at_end = last[ends[nonempty]]
        level[np.flatnonzero(nonempty)[at_end >= 0]] = y[at_end[at_end >= 0]]
        self.level_ = level
        return _previous(y, last, first)


class SeasonalNaive(Baseline):
    """The last observed value of the same season position (e.g. the same weekday).

    Parameters
    ----------
    season_length : int, default 7
        Periods per season (7 for day-of-week seasonality in daily data).

    Notes
    -----
    The forecast for period ``n + h`` (a series of length ``n``) is the latest non-NaN value at
    ``n + h - k * season_length`` for ``k >= 1`` inside the series; NaN when that season position was
    never observed. ``fitted_`` follows the same rule for in-sample periods.
    """

    def __init__(self, season_length: int = 7) -> None:
        self.season_length = season_length

    def _validate_params(self) -> None:
        check_positive_int("season_length", self.season_length)

    def _fit(self, y: np.ndarray, indptr: np.ndarray) -> np.ndarray:
        m = int(self.season_length)
        codes = _series_codes(indptr)
        pos = np.arange(y.size, dtype=np.int64) - indptr[:-1][codes]
        key = codes * m + pos % m
        order = np.lexsort((pos, key))
        ys, ks = y[order], key[order]
        starts = np.flatnonzero(np.r_[True, ks[1:] != ks[:-1]]) if ks.size else np.zeros(0, np.int64)
        group_first = np.repeat(starts, np.diff(np.r_[starts, ks.size]))
        last = _ffill_index(~np.isnan(ys), group_first)
        fitted = np.empty(y.size)
        fitted[order] = _previous(ys, last, group_first)
        # last observed value per (series, phase)
        table = np.full((indptr.size - 1) * m, np.nan)
        if ks.size:
            group_last = np.r_[starts[1:], ks.size] - 1
            found = last[group_last]
            table[ks[starts[found >= 0]]] = ys[found[found >= 0]]
        self.table_ = table.reshape(indptr.size - 1, m)
        self.lengths_ = np.diff(indptr)
        return fitted

    def _predict(self, horizon: int) -> np.ndarray:
        m = int(self.season_length)
        phase = (self.lengths_[:, None] + np.arange(horizon)[None, :]) % m
        return np.take_along_axis(self.table_, phase, axis=1)


class MovingAverage(FlatBaseline):
    """Mean of the observed values among the last ``window`` periods, repeated over the horizon.

    Parameters
    ----------
    window : int, default 28
        Number of trailing periods averaged. NaN periods are left out of the mean; a window with no
        observed value gives NaN. Shorter histories use what they have (like pandas
        ``rolling(window, min_periods=1)``).

    Notes
    -----
    ``fitted_[t]`` is the mean of the observed values in ``t - window .. t - 1``.
    """

    def __init__(self, window: int = 28) -> None:
        self.window = window

    def _validate_params(self) -> None:
        check_positive_int("window", self.window)

    def _fit(self, y: np.ndarray, indptr: np.ndarray) -> np.ndarray:
        w = int(self.window)
        valid = ~np.isnan(y)
        csum = np.concatenate(([0.0], np.cumsum(np.where(valid, y, 0.0))))
        ccnt = np.concatenate(([0], np.cumsum(valid)))
        codes = _series_codes(indptr)
        first = indptr[:-1][codes]
        pos = np.arange(y.size, dtype=np.int64)
        lo = np.maximum(first, pos - w)
        total = csum[pos] - csum[lo]
        count = ccnt[pos] - ccnt[lo]
        with np.errstate(invalid="ignore", divide="ignore"):
            fitted = np.where(count > 0, total / np.maximum(count, 1), np.nan)
        ends = indptr[1:]
        lo_end = np.maximum(indptr[:-1], ends - w)
        total_end = csum[ends] - csum[lo_end]
        count_end = ccnt[ends] - ccnt[lo_end]
        self.level_ = np.where(count_end > 0, total_end / np.maximum(count_end, 1), np.nan)
        return fitted
