"""The fitted model: everything ``Forecaster.fit`` learns, as one frozen value that never changes after fit.

The forecast state that moves with new data (history tail, ids, signal store) is the other value, in
:mod:`pullcast.forecast.state`; :mod:`pullcast.forecast.predict` forecasts from the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import pandas as pd

from pullcast.columns import Columns
from pullcast.errors import NotFittedError
from pullcast.features import Design
from pullcast.forecast.distribution import NBDistribution
from pullcast.models.lgbm import GlobalLGBM

__all__ = ["FittedModel", "FittedViews", "is_baseline"]


def is_baseline(model: Any) -> bool:
    """Whether ``model`` is a per-series baseline (not the global LightGBM model)."""
    return not isinstance(model, GlobalLGBM)


@dataclass(frozen=True, eq=False)
class FittedModel:
    """What fit learnt (frozen: ``update``, ``predict`` and ``sample_paths`` never change it).

    Attributes
    ----------
    design : Design
        Feature spec, covariates, leads, dropped channels and the static block fixed at fit time (the
        categories; the state carries the same block over its own series).
    model : GlobalLGBM or baseline estimator
        The global LightGBM model. For a per-series baseline, the estimator with its parameters and
        unfitted: its fit to the current history belongs to the state
        (:attr:`pullcast.forecast.state.ForecastState.baseline_mean`).
    distribution : NBDistribution
        The calibrated predictive distribution.
    signal_report : pandas.DataFrame
        The signal gate's report (one row per channel).
    feature_names : tuple of str
        The feature columns the model reads, in order.
    quantiles : tuple of float
        Sorted quantile levels of the forecast frames.
    covariates : tuple of str
        Known-ahead covariate columns.
    leads : dict of str to int
        Lead (days) of each signal channel.
    training_window : (Timestamp, Timestamp)
        First and last date of the training data.
    horizon : int
        Periods forecast.
    freq : str
        Frequency of the dates.
    columns : Columns
        The user's column names.
    nowcast : dict of str to list of float or None, default None
        Intraday nowcast coefficients per channel and horizon (None without kept signals).
    """

    design: Design
    model: Any
    distribution: NBDistribution
    signal_report: pd.DataFrame
    feature_names: tuple[str, ...]
    quantiles: tuple[float, ...]
    covariates: tuple[str, ...]
    leads: dict[str, int]
    training_window: tuple[pd.Timestamp, pd.Timestamp]
    horizon: int
    freq: str
    columns: Columns
    nowcast: dict[str, list[float]] | None = None

    @property
    def is_baseline(self) -> bool:
        """Whether the model is a per-series baseline (not the global LightGBM model)."""
        return is_baseline(self.model)

    @property
    def keep(self) -> int:
        """Periods of every series the state keeps: the feature history plus the horizon."""
        return int(self.design.spec.history + self.horizon)


class FittedViews:
    """The fitted attributes (``model_``, ``signal_report_``, ``leads_``, ...) of an estimator that keeps
    what fit learnt as one :class:`FittedModel` in ``fitted_``: read-only views of its fields, shared by
    :class:`pullcast.Forecaster` and :class:`pullcast.distributed.DaskForecaster`."""

    def _fitted(self) -> FittedModel:
        fitted = self.__dict__.get("fitted_")
        if fitted is None:
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet: call fit(...) before using it"
            )
        return cast(FittedModel, fitted)

    @property
    def model_(self) -> Any:
        """The global LightGBM model; for a baseline, its unfitted estimator (see :class:`FittedModel`)."""
        return self._fitted().model

    @property
    def distribution_(self) -> NBDistribution:
        return self._fitted().distribution

    @property
    def signal_report_(self) -> pd.DataFrame:
        return self._fitted().signal_report

    @property
    def feature_names_(self) -> list[str]:
        return list(self._fitted().feature_names)

    @property
    def quantiles_(self) -> tuple[float, ...]:
        return self._fitted().quantiles

    @property
    def covariates_(self) -> tuple[str, ...]:
        return self._fitted().covariates

    @property
    def leads_(self) -> dict[str, int]:
        return dict(self._fitted().leads)

    @property
    def training_window_(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        return self._fitted().training_window
