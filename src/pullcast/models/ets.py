"""Exponential smoothing (ETS) per series through statsmodels' Holt-Winters implementation."""

from __future__ import annotations

import warnings

import numpy as np

from pullcast.errors import ConfigError
from pullcast.models._base import Baseline, check_positive_int

__all__ = ["ETS"]

_MIN_OBS = 4  # fewer observed values than this: forecast their mean


def _fill(y: np.ndarray, m: int) -> np.ndarray:
    """Trim leading NaN; fill a NaN from the same season position earlier, else the previous value."""
    ok = np.flatnonzero(~np.isnan(y))
    x = y[ok[0] :].copy()
    for t in range(x.size):
        if np.isnan(x[t]):
            x[t] = x[t - m] if t >= m and not np.isnan(x[t - m]) else x[t - 1]
    return x


class ETS(Baseline):
    """Additive-error exponential smoothing without trend: simple (A,N,N) or seasonal (A,N,A).

    Each series is fitted with ``statsmodels.tsa.holtwinters.ExponentialSmoothing`` (estimated
    initial states, maximum likelihood); with ``seasonal="auto"`` both forms are fitted and the one
    with the lower AICc is kept (a small AutoETS for demand data, where multiplicative forms fail on
    zeros).

    Parameters
    ----------
    season_length : int, default 7
        Periods per season.
    seasonal : {"auto", "add", None}, default "auto"
        Seasonal component: chosen by AICc, always additive, or none. Series shorter than two
        seasons plus two periods are fitted without a seasonal component.

    Notes
    -----
    NaN values are filled before fitting from the same season position a season earlier (else the
    previous value); leading NaN are dropped. A series with fewer than 4 observed values forecasts
    their mean (NaN if none), with NaN ``fitted_``. ``fitted_`` holds statsmodels' one-step-ahead
    fitted values (parameters estimated on the whole series). Fitting costs roughly 0.1-0.5 s per
    long series.
    """

    def __init__(self, season_length: int = 7, seasonal: str | None = "auto") -> None:
        self.season_length = season_length
        self.seasonal = seasonal

    def _validate_params(self) -> None:
        check_positive_int("season_length", self.season_length)
        if self.seasonal not in ("auto", "add", None):
            raise ConfigError(f"seasonal must be 'auto', 'add' or None, got {self.seasonal!r}")

    def _fit(self, y: np.ndarray, indptr: np.ndarray) -> np.ndarray:
        m = int(self.season_length)
        n_series = indptr.size - 1
        self.cycle_ = np.full((n_series, m), np.nan)
        self.seasonal_ = np.zeros(n_series, dtype=bool)
        fitted = np.full(y.size, np.nan)
        for i in range(n_series):
            s, e = int(indptr[i]), int(indptr[i + 1])
            seg = y[s:e]
            observed = seg[~np.isnan(seg)]
            if observed.size < _MIN_OBS:
                self.cycle_[i] = observed.mean() if observed.size else np.nan
                continue
            x = _fill(seg, m)
            offset = e - x.size
            if np.all(x == x[0]):
                self.cycle_[i] = x[0]
                fitted[offset + 1 : e] = x[0]
                continue
            cycle, fit, seasonal = self._fit_one(x, m)
            self.cycle_[i] = cycle
            self.seasonal_[i] = seasonal
            fitted[offset:e] = fit
        return fitted

    def _fit_one(self, x: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray, bool]:
        from statsmodels.tsa.holtwinters import ExponentialSmoothing

        options: list[str | None]
        if self.seasonal is None or x.size < 2 * m + 2 or m == 1:
            options = [None]
        elif self.seasonal == "add":
            options = ["add"]
        else:
            options = [None, "add"]
        best = None
        for seasonal in options:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = ExponentialSmoothing(
                    x,
                    trend=None,
                    seasonal=seasonal,
                    seasonal_periods=m if seasonal else None,
                    initialization_method="estimated",
                )
                res = model.fit(use_brute=False)
            score = float(res.aicc) if np.isfinite(res.aicc) else np.inf
            if best is None or score < best[0]:
                best = (score, res, seasonal is not None)
        assert best is not None
        _, res, seasonal_used = best
        cycle = np.asarray(res.forecast(m), dtype=np.float64)
        return cycle, np.asarray(res.fittedvalues, dtype=np.float64), seasonal_used

    def _predict(self, horizon: int) -> np.ndarray:
        m = int(self.season_length)
        return self.cycle_[:, np.arange(horizon) % m]
