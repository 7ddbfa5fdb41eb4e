"""Intermittent-demand baselines: Croston, SBA, TSB and ADIDA (Numba kernels in
:mod:`pullcast.kernels.intermittent`). NaN periods are skipped, as if absent."""

from __future__ import annotations

import numpy as np

from pullcast.kernels.intermittent import adida, croston, tsb
from pullcast.models._base import FlatBaseline, check_weight

__all__ = ["ADIDA", "SBA", "TSB", "Croston"]


class Croston(FlatBaseline):
    """Croston's method (Croston 1972): smoothed demand size over smoothed inter-demand interval.

    Parameters
    ----------
    alpha : float, default 0.1
        Smoothing weight of both the sizes and the intervals (0.1 as in statsforecast's
        ``CrostonClassic``, whose outputs this matches).
    """

    def __init__(self, alpha: float = 0.1) -> None:
        self.alpha = alpha

    def _factor(self) -> float:
        return 1.0

    def _validate_params(self) -> None:
        check_weight("alpha", self.alpha)

    def _fit(self, y: np.ndarray, indptr: np.ndarray) -> np.ndarray:
        self.level_, fitted = croston(y, indptr, float(self.alpha), self._factor())
        return fitted


class SBA(Croston):
    """Syntetos-Boylan approximation (2005): Croston times ``1 - alpha / 2`` (0.95 at the default).

    Parameters
    ----------
    alpha : float, default 0.1
        Smoothing weight of the sizes and intervals (statsforecast's ``CrostonSBA`` uses 0.1).
    """

    def _factor(self) -> float:
        return 1.0 - float(self.alpha) / 2.0


class TSB(FlatBaseline):
    """Teunter-Syntetos-Babai (2011): smoothed demand probability times smoothed demand size.

    Unlike Croston, the probability decays in every period without demand, so forecasts of dying
    items fall towards zero.

    Parameters
    ----------
    alpha_d : float, default 0.1
        Smoothing weight of the demand sizes.
    alpha_p : float, default 0.1
        Smoothing weight of the demand probability.
    """

    def __init__(self, alpha_d: float = 0.1, alpha_p: float = 0.1) -> None:
        self.alpha_d = alpha_d
        self.alpha_p = alpha_p

    def _validate_params(self) -> None:
        check_weight("alpha_d", self.alpha_d)
        check_weight("alpha_p", self.alpha_p)

    def _fit(self, y: np.ndarray, indptr: np.ndarray) -> np.ndarray:
        self.level_, fitted = tsb(y, indptr, float(self.alpha_d), float(self.alpha_p))
        return fitted


class ADIDA(FlatBaseline):
    """Aggregate-disaggregate intermittent demand approach (Nikolopoulos et al. 2011).

    Buckets of the mean inter-demand interval are summed, forecast with optimised simple
    exponential smoothing (weight in [0.1, 0.3]) and spread evenly back over the periods.
    ``fitted_`` gives, inside each bucket after the first, that bucket's SES forecast from the
    earlier buckets spread evenly; NaN elsewhere.
    """

    def __init__(self) -> None:
        pass

    def _fit(self, y: np.ndarray, indptr: np.ndarray) -> np.ndarray:
        self.level_, fitted = adida(y, indptr)
        return fitted
