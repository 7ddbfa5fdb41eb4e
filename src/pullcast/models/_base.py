"""The shared shape of the baseline models: ``fit(y, indptr) -> self``, ``predict(horizon)``, ``fitted_``."""

from __future__ import annotations

import numbers

import numpy as np

from pullcast.base import Estimator, check_is_fitted
from pullcast.errors import ConfigError, ValueRangeError

__all__ = ["Baseline", "FlatBaseline", "check_grouped", "check_positive_int", "check_weight"]


def check_grouped(y: object, indptr: object) -> tuple[np.ndarray, np.ndarray]:
    """Validate flat values and series boundaries once, at the model boundary.

    Returns ``y`` as contiguous float64 and ``indptr`` as int64. NaN values are allowed (missing or
    censored periods); infinite values are not.

    Raises
    ------
    ConfigError
        Wrong shapes or boundaries that do not describe ``y``.
    ValueRangeError
        Infinite values (the message names the series number and position within it).
    """
    arr = np.asarray(y)
    if arr.ndim != 1 or arr.dtype.kind not in "fiub":
        raise ConfigError(f"y must be a 1-D numeric array; found shape {arr.shape}, dtype {arr.dtype}")
    values = np.ascontiguousarray(arr, dtype=np.float64)
    ptr = np.asarray(indptr)
    if ptr.ndim != 1 or ptr.size < 2 or ptr.dtype.kind not in "iu":
        raise ConfigError(
            f"indptr must be a 1-D integer array with n_series + 1 >= 2 entries; found shape {ptr.shape}, "
            f"dtype {ptr.dtype}"
        )
    ptr = np.ascontiguousarray(ptr, dtype=np.int64)
    if ptr[0] != 0 or ptr[-1] != values.size or (np.diff(ptr) < 0).any():
        raise ConfigError(
            f"indptr must start at 0, never decrease and end at len(y)={values.size}; "
            f"found start {ptr[0]} and end {ptr[-1]}"
        )
    bad = np.isinf(values)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        series = int(np.searchsorted(ptr, first, side="right") - 1)
        raise ValueRangeError(
            f"y has {int(bad.sum())} infinite values (first in series {series}, period "
            f"{first - int(ptr[series])}); use NaN for missing or censored periods"
        )
    return values, ptr


def check_positive_int(name: str, value: object) -> int:
    """``value`` as an int >= 1, else :class:`ConfigError`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < 1:
        raise ConfigError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


def check_weight(name: str, value: object) -> float:
    """``value`` as a float in (0, 1], else :class:`ConfigError`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0.0 < float(value) <= 1.0:
        raise ConfigError(f"{name} must be a number in (0, 1], got {value!r}")
    return float(value)


class Baseline(Estimator):
    """Base of the per-series baselines.

    Subclasses implement ``_fit(y, indptr)`` returning ``(state, fitted)`` and ``_predict(horizon)``.
    After ``fit``: ``indptr_`` (the series boundaries), ``fitted_`` (in-sample one-step-ahead
    forecasts aligned with ``y``, NaN where undefined) and ``n_series_``.
    """

    def fit(self, y: np.ndarray, indptr: np.ndarray) -> Baseline:
        """Fit on grouped arrays: series ``i`` is ``y[indptr[i]:indptr[i+1]]`` in time order.

        Parameters
        ----------
        y : ndarray
            Flat values of all series; NaN marks missing or censored periods, which are skipped.
        indptr : ndarray of int
            Series boundaries, length ``n_series + 1``.

        Returns
        -------
        self
        """
        values, ptr = check_grouped(y, indptr)
        self._validate_params()
        self.indptr_ = ptr
        self.n_series_ = int(ptr.size - 1)
        self.fitted_ = self._fit(values, ptr)
        return self

    def predict(self, horizon: int) -> np.ndarray:
        """Forecasts for the ``horizon`` periods after each series' end.

        Parameters
        ----------
        horizon : int
            Number of periods (>= 1).

        Returns
        -------
        ndarray of float64, shape (n_series, horizon)
            NaN for series with no usable values.
        """
        check_is_fitted(self, "fitted_")
        h = check_positive_int("horizon", horizon)
        return np.ascontiguousarray(self._predict(h), dtype=np.float64)

    # subclass hooks -------------------------------------------------------------------------------
    def _validate_params(self) -> None:
        """Check the constructor arguments (raise :class:`ConfigError`)."""

    def _fit(self, y: np.ndarray, indptr: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _predict(self, horizon: int) -> np.ndarray:
        raise NotImplementedError


class FlatBaseline(Baseline):
    """A baseline whose forecast is one level per series, repeated over the horizon."""

    level_: np.ndarray

    def _predict(self, horizon: int) -> np.ndarray:
        return np.repeat(self.level_[:, None], horizon, axis=1)
