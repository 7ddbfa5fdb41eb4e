"""The :class:`Forecaster` facade: fit / predict / sample_paths over sales and pull signals.

The forecaster holds two values: :attr:`Forecaster.fitted_`, the frozen
:class:`~pullcast.forecast.fitted.FittedModel` that ``fit`` learns, and :attr:`Forecaster.forecast_state_`,
the :class:`~pullcast.forecast.state.ForecastState` that ``update`` and ``refresh`` replace. Prediction is
:mod:`pullcast.forecast.predict` on the two; the other fitted attributes (``model_``, ``design_``,
``ids_``, ``state_``, ...) are read-only views of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import pandas as pd

from pullcast.base import Estimator, check_is_fitted, is_whole
from pullcast.columns import Columns
from pullcast.errors import ConfigError
from pullcast.features import Design, FeatureSpec, History, StaticBlock
from pullcast.forecast import inputs, persist, predict, state, training
from pullcast.forecast.fitted import FittedModel, FittedViews
from pullcast.forecast.state import ForecastState

__all__ = ["Forecaster"]


MIN_ROWS = 100  # the smallest max_rows accepted (a held-out slice of a quarter of it is scored)


class Forecaster(FittedViews, Estimator):
    """Direct multi-horizon demand forecaster for SKU × store series, with pull signals.

    One global model learns demand at origin + h for h = 1..horizon from features known at the origin
    (target lags and windows, signal transforms by arrival time, calendar, known-ahead covariates,
    static attributes). Quantiles and sample paths come from a negative-binomial distribution around
    the point forecast, calibrated on a held-out slice at the end of the training data.

    Parameters
    ----------
    horizon : int, default 28
        Number of periods forecast.
    quantiles : tuple of float, default (0.1, 0.5, 0.9)
        Quantile levels returned by :meth:`predict` (columns ``p10``, ``p50``, ``p90``).
    features : FeatureSpec or None, default None
        The feature set; None means ``FeatureSpec()``.
    model : str or estimator, default "lgbm"
        "lgbm" for the global LightGBM model, a baseline name ("naive", "snaive", "ma", "croston",
        "sba", "tsb", "adida", "ets"), or a model object (a :class:`pullcast.models.GlobalLGBM` or a
        baseline estimator).
    seed : int, default 0
        Seed (>= 0) of row sampling, LightGBM and sample paths.
    columns : Columns, default Columns()
        The names of the columns in every frame passed in.
    freq : str, default "D"
        Frequency of the sales dates.
    signal_gate : float or None, default 0.01
        Minimum out-of-sample forecast value added (relative WAPE reduction against the no-signal
        model, pooled over several rolling origins) the kept signal channels must bring together; each
        kept channel must also be significant on its own (what scrambling it costs the model with every
        channel; clustered paired test by SKU, Holm-corrected, 5% level; see
        :mod:`pullcast.forecast.gate`). None keeps every channel.
    max_rows : int, default 300_000
        Number of (series, origin, horizon) training rows to sample down to when there are more, the
        same share at every horizon (about this many: each row is drawn independently); at least 100.
    train_window : int or None, default 730
        Only origins in the last ``train_window`` periods are used for training (None: all).
    refit_final : bool, default False
        False: the model fitted with early stopping on the held-out slice is the final model (its
        training targets end ``horizon + 6`` periods before the last day; the features it forecasts
        from use all of the history). True: refit on every origin with the same number of boosting
        rounds, at the cost of a second fit.
    verbose : bool, default True
        Show a progress bar during fit.

    Attributes
    ----------
    fitted_ : FittedModel
        What fit learnt; frozen, never changed after fit.
    forecast_state_ : ForecastState
        The state forecasts start from; :meth:`update` and :meth:`refresh` replace it with a new value.
    """

    def __init__(
        self,
        horizon: int = 28,
        quantiles: tuple[float, ...] = (0.1, 0.5, 0.9),
        features: FeatureSpec | None = None,
        model: Any = "lgbm",
        seed: int = 0,
        columns: Columns = Columns(),
        freq: str = "D",
        signal_gate: float | None = 0.01,
        max_rows: int = training.MAX_ROWS,
        train_window: int | None = 730,
        refit_final: bool = False,
        verbose: bool = True,
    ) -> None:
        self.horizon = horizon
        self.quantiles = quantiles
        self.features = features
        self.model = model
        self.seed = seed
        self.columns = columns
        self.freq = freq
        self.signal_gate = signal_gate
        self.max_rows = max_rows
        self.train_window = train_window
        self.refit_final = refit_final
        self.verbose = verbose

    # ------------------------------------------------------------------ fit
    def check_params(self) -> tuple[FeatureSpec, tuple[float, ...]]:
        """Validate the parameters (``fit`` calls this first; so does ``DaskForecaster``).

        Returns
        -------
        (FeatureSpec, tuple of float)
            The feature spec in use and the sorted quantile levels.

        Raises
        ------
        ConfigError
            A parameter out of its range, named with the value given.
        """
        if int(self.horizon) != self.horizon or self.horizon < 1:
            raise ConfigError(f"horizon must be a positive integer, got {self.horizon!r}")
        qs = tuple(sorted(float(q) for q in self.quantiles))
        bad_q = [q for q in qs if not 0.0 < q < 1.0]
        if bad_q:
            raise ConfigError(f"quantiles must lie strictly between 0 and 1, got {bad_q}")
        if not is_whole(self.seed, 0):
            raise ConfigError(f"seed must be an integer >= 0, got {self.seed!r}")
        if not is_whole(self.max_rows, MIN_ROWS):
            raise ConfigError(f"max_rows must be an integer >= {MIN_ROWS}, got {self.max_rows!r}")
        if self.train_window is not None and not is_whole(self.train_window, 1):
            raise ConfigError(f"train_window must be None or a positive integer, got {self.train_window!r}")
        if self.refit_final not in (True, False):
            raise ConfigError(f"refit_final must be True or False, got {self.refit_final!r}")
        spec = self.features if self.features is not None else FeatureSpec()
        if not isinstance(spec, FeatureSpec):
            raise ConfigError(f"features must be a FeatureSpec, got {type(spec).__name__}")
        return spec, qs

    def fit(
        self,
        sales: pd.DataFrame,
        signals: Any = None,
        stores: pd.DataFrame | None = None,
        channels: Sequence[str] | None = None,
    ) -> Forecaster:
        """Learn from a sales frame and, optionally, pull-signal events.

        Parameters
        ----------
        sales : pandas.DataFrame
            Long frame: sku, store, date, units; optional price/promo and other known-ahead numeric
            covariates, ``on_hand``/``in_stock`` (stockout days are censored demand), and per-series
            attribute columns (strings).
        signals : pandas.DataFrame, pullcast.signals.SignalStore or None, default None
            Signal events (docs/architecture.md) or a configured store.
        stores : pandas.DataFrame or None, default None
            ``store, region`` map for region-level signals.
        channels : sequence of str or None, default None
            Use only these signal channels (None: every channel of ``signals``); the signal gate, when
            on, then decides among them.

        Returns
        -------
        Forecaster
            ``self``, fitted: :attr:`fitted_` and :attr:`forecast_state_` are set.

        Raises
        ------
        ConfigError
            ``channels`` names a channel that ``signals`` does not have.
        """
        spec, qs = self.check_params()
        cols = self.columns
        frame = inputs.canonical(sales, cols, "sales")
        stores_c = None if stores is None else inputs.canonical(stores, cols, "stores")
        panel = inputs.sales_panel(frame, self.freq)
        covariates = inputs.choose_covariates(panel, spec.covariates)
        static = StaticBlock.fit(inputs.static_frame(panel, spec.static), skip=spec.skipped_ids)
        store = training.signal_store(signals, cols, stores_c)
        aligned = store.aligned(panel, stores=stores_c) if store is not None else {}
        if channels is not None:
            wanted = set(channels)
            unknown = sorted(wanted - set(aligned))
            if unknown:
                raise ConfigError(f"channels {unknown} are not in the signals, which have {sorted(aligned)}")
            aligned = {c: v for c, v in aligned.items() if c in wanted}
        if store is not None:
            training.warn_unmatched(*training.unmatched_events(store, panel))
        # only the periods training reads, so a large panel never exists in float64 in full
        span = training.history_span(panel.dates.grid.size, self.train_window, spec)
        hist = History.from_panel(panel, covariates, aligned, keep=span)
        leads = training.discover_leads(panel, aligned, self.horizon)
        design = Design(spec, covariates, dict(leads), static)
        rng = np.random.default_rng(self.seed)
        ids = panel.ids.reset_index(drop=True)
        clusters = training.gate_clusters(ids, stores_c)
        window = (panel.dates.grid[0], panel.dates.grid[-1])
        del panel, aligned  # the history holds what training reads: free the panel's arrays first
        result = training.train(self.get_params(), design, hist, rng, clusters)
        baseline = training.is_baseline(result.model)
        fitted = FittedModel(
            design=result.design,
            model=training.make_model(self.model, self.seed) if baseline else result.model,
            distribution=result.distribution,
            signal_report=result.signal_report,
            feature_names=tuple(result.feature_names),
            quantiles=qs,
            covariates=covariates,
            leads=leads,
            training_window=window,
            horizon=int(self.horizon),
            freq=self.freq,
            columns=cols,
            nowcast=result.nowcast,
        )
        mean = None
        if baseline:  # fit on the whole history; updates refit on the state
            mean = np.asarray(result.model.predict(fitted.horizon), dtype=np.float64).reshape(
                hist.n_series, -1
            )
        self.fitted_ = fitted
        self.forecast_state_ = ForecastState(
            history=hist.tails(fitted.keep),
            ids=ids,
            static=result.design.static,
            signal_store=store,
            stores=stores_c,
            baseline_mean=mean,
        )
        return self

    @classmethod
    def from_values(
        cls, fitted: FittedModel, forecast_state: ForecastState, params: dict[str, Any] | None = None
    ) -> Forecaster:
        """A fitted forecaster holding ``fitted`` and ``forecast_state`` (no copy, no training).

        ``params`` (default None: none) are constructor arguments; the ones it leaves out take the fitted
        model's horizon, freq, columns, feature spec and quantile levels, or else their defaults.
        """
        base = {
            "horizon": fitted.horizon,
            "freq": fitted.freq,
            "columns": fitted.columns,
            "features": fitted.design.spec,
            "quantiles": fitted.quantiles,
        }
        f = cls(**{**base, **(params or {})})
        f.fitted_, f.forecast_state_ = fitted, forecast_state
        return f

    # ------------------------------------------------------------------ the two values, read-only views
    def _state(self) -> ForecastState:
        self._fitted()
        return cast(ForecastState, self.__dict__["forecast_state_"])

    @property
    def design_(self) -> Design:
        """The fitted design over the current series (the state's static block)."""
        return state.design_of(self._fitted(), self._state())

    @property
    def nowcast_coef_(self) -> dict[str, list[float]] | None:
        return self._fitted().nowcast

    @property
    def state_(self) -> History:
        """The trimmed history of the current state."""
        return self._state().history

    @property
    def ids_(self) -> pd.DataFrame:
        return self._state().ids

    @property
    def signal_store_(self) -> Any:
        return self._state().signal_store

    @property
    def stores_(self) -> pd.DataFrame | None:
        return self._state().stores

    @property
    def last_ingest_(self) -> Any:
        """The ingest report of the latest :meth:`update` with signals (None before any)."""
        return self._state().last_ingest

    # ------------------------------------------------------------------ predict
    def predict(self, future: pd.DataFrame | None = None, *, as_of: Any = None) -> pd.DataFrame:
        """Forecast the next ``horizon`` periods after each series' last date.

        A function of :attr:`fitted_`, :attr:`forecast_state_` and ``future``
        (:func:`pullcast.forecast.predict.predict`); it writes nothing.

        Parameters
        ----------
        future : pandas.DataFrame or None, default None
            sku, store, date and the known-ahead covariate columns the model was fit with, for every
            forecast date (required when the model has covariates). Rows for (sku, store) pairs the model
            has never seen are cold starts: they are forecast from their attribute columns (e.g.
            ``category``), their pull signals and the launch behaviour learnt from other series, starting
            the day after the latest known date.
        as_of : timestamp or None, default None
            An intraday nowcast: a time during the day after the origin. Signal events that arrived by then
            (never later) revise the forecasts through each channel's intraday profile; see
            :mod:`pullcast.forecast.nowcast`. Before any event of that day has arrived the result equals the
            start-of-day forecast.

        Returns
        -------
        pandas.DataFrame
            sku, store, date, forecast (mean) and one column per quantile (``p10``, ``p50``, ...),
            sorted by sku, store, date.
        """
        return predict.predict(self._fitted(), self._state(), future, as_of=as_of)

    def forecast_ids(self, future: pd.DataFrame | None = None) -> pd.DataFrame:
        """The (sku, store) rows of :meth:`predict` and :meth:`sample_paths` for ``future``, in order.

        Without ``future`` (or when it names no new series) these are :attr:`ids_`; the cold starts
        of ``future`` follow them.
        """
        return predict.forecast_ids(self._fitted(), self._state(), future)

    @property
    def forecast_ids_(self) -> pd.DataFrame:
        """The series order of ``predict()`` and ``sample_paths()`` without ``future``: :attr:`ids_`."""
        return self._state().ids

    def sample_paths(
        self, n: int = 1000, seed: int = 0, future: pd.DataFrame | None = None, *, as_of: Any = None
    ) -> np.ndarray:
        """Joint sample paths of demand over the horizon, consistent with :meth:`predict`'s quantiles.

        A function of the fitted model and the current state, like :meth:`predict`: calling it before,
        after or without :meth:`predict` gives the same paths.

        Parameters
        ----------
        n : int, default 1000
            Number of paths per series.
        seed : int, default 0
        future : pandas.DataFrame or None, default None
            As in :meth:`predict` (required when the model has known-ahead covariates).
        as_of : timestamp or None, default None
            As in :meth:`predict`: paths around the intraday nowcast.

        Returns
        -------
        ndarray of float32, shape (n_series, n, horizon)
            Series in the order of :meth:`forecast_ids` for the same ``future``.
        """
        return predict.sample_paths(self._fitted(), self._state(), n, seed, future, as_of=as_of)

    def feature_importance(self) -> pd.Series:
        """Gain of each feature of the LightGBM model, largest first."""
        fitted = self._fitted()
        if fitted.is_baseline:
            raise ConfigError(f"model {self.model!r} has no feature importance")
        return fitted.model.feature_importance()

    # ------------------------------------------------------------------ persistence
    def save(self, path: Any) -> Any:
        """Write the fitted model and the forecast state to directory ``path`` (LightGBM text, JSON,
        npz; no pickle; atomic). See :mod:`pullcast.forecast.persist`."""
        check_is_fitted(self, "fitted_")
        return persist.save(path, self._fitted(), self._state(), self.get_params())

    @classmethod
    def load(cls, path: Any) -> Forecaster:
        """Read a forecaster saved with :meth:`save`; a changed, corrupt or incompatible directory raises
        :class:`pullcast.errors.IncompatibleModelError`."""
        saved = persist.load(path)
        return cls.from_values(saved.fitted, saved.state, saved.params)

    # ------------------------------------------------------------------ state
    def refresh(
        self, sales: pd.DataFrame, signals: Any = None, stores: pd.DataFrame | None = None
    ) -> Forecaster:
        """Replace the forecasting state with ``sales`` (and signals) as known now, without retraining.

        Used by backtests with ``refit=False``. Baseline models are refit on the new state (their fit
        is part of the state). The fitted model is unchanged; :attr:`forecast_state_` is a new value.
        """
        fitted, current = self._fitted(), self._state()
        stores_c = None if stores is None else inputs.canonical(stores, self.columns, "stores")
        store = None
        if signals is not None:
            store = training.signal_store(
                signals, self.columns, current.stores if stores_c is None else stores_c
            )
        self.forecast_state_ = state.refresh(fitted, current, sales, store=store, stores=stores_c)
        return self

    def update(self, sales: pd.DataFrame | None = None, signals: Any = None) -> Forecaster:
        """Append new sales days and/or signal events and move the forecast origin, without retraining.

        :attr:`forecast_state_` becomes a new value (:func:`pullcast.forecast.state.update`); the fitted
        model is unchanged. Baseline models are refit on the new state (their fit is part of it).

        Parameters
        ----------
        sales : pandas.DataFrame or None, default None
            New days (any subset of series; series never seen before become cold starts). Each row must
            be dated after its series' last known day.
        signals : pandas.DataFrame or None, default None
            New signal events (late ones included: they count as of their arrival).

        Returns
        -------
        Forecaster
            ``self``; the next :meth:`predict` starts from the new origin.
        """
        self.forecast_state_ = state.update(self._fitted(), self._state(), sales, signals)
        return self
