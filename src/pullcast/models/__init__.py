"""Forecasting models over grouped arrays: baselines and (in :mod:`pullcast.models.lgbm`) the global
LightGBM model.

Every baseline follows one contract: ``fit(y, indptr) -> self`` on flat float arrays (series ``i`` is
``y[indptr[i]:indptr[i+1]]``; NaN marks missing or censored periods, which are skipped),
``predict(horizon) -> ndarray (n_series, horizon)``, and ``fitted_``: in-sample one-step-ahead
forecasts aligned with ``y`` (NaN where undefined), for residual-based quantiles.
:func:`get_model` builds one from its short name.
"""

from __future__ import annotations

from pullcast.models._base import Baseline
from pullcast.models._registry import MODELS, get_model
from pullcast.models.ets import ETS
from pullcast.models.intermittent import ADIDA, SBA, TSB, Croston
from pullcast.models.simple import MovingAverage, Naive, SeasonalNaive

__all__ = [
    "ADIDA",
    "ETS",
    "MODELS",
    "SBA",
    "TSB",
    "Baseline",
    "Croston",
    "MovingAverage",
    "Naive",
    "SeasonalNaive",
    "get_model",
]
