"""The :class:`Forecaster` facade: fit / predict / sample_paths over sales and pull signals."""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from pullcast.base import Estimator, check_is_fitted
from pullcast.columns import FORECAST_MEAN, Columns, quantile_name
from pullcast.errors import ConfigError, DataError, UnmatchedSignalWarning
from pullcast.features import Design, FeatureSpec, History, StaticBlock
from pullcast.forecast import _state, inputs, training
from pullcast.forecast.distribution import NBDistribution
from pullcast.panel import Panel

__all__ = ["Forecaster"]


def _warn_unmatched(lost: int, total: int, examples: list[Any]) -> None:
    if total and lost > total / 2:
        warnings.warn(
            f"{lost:,} of {total:,} signal events ({lost / total:.0%}) name SKUs with no sales series "
            f"(e.g. {examples}); they reach no forecast. Check that the sku labels have the same type "
            "and spelling in sales and signals (1 and '1' differ).",
            UnmatchedSignalWarning,
            stacklevel=3,
        )


class Forecaster(Estimator):
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
        Seed of row sampling, LightGBM and sample paths.
    columns : Columns, default Columns()
        The names of the columns in every frame passed in.
    freq : str, default "D"
        Frequency of the sales dates.
    signal_gate : float or None, default 0.01
        Minimum out-of-sample forecast value added (relative WAPE reduction against the no-signal
        model, pooled over several rolling origins) a signal channel must bring to be kept; it must also
        be significant (clustered paired test by SKU, Holm-corrected, 5% level; see
        :mod:`pullcast.forecast.gate`). None keeps every channel.
    max_rows : int, default 500_000
        Number of (series, origin, horizon) training rows to sample down to when there are more, the
        same share at every horizon (about this many: each row is drawn independently).
    train_window : int or None, default 730
        Only origins in the last ``train_window`` periods are used for training (None: all).
    verbose : bool, default True
        Show a progress bar during fit.
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
        max_rows: int = 500_000,
        train_window: int | None = 730,
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
        self.verbose = verbose

    # ------------------------------------------------------------------ fit
    def _check_params(self) -> tuple[FeatureSpec, tuple[float, ...]]:
        if int(self.horizon) != self.horizon or self.horizon < 1:
            raise ConfigError(f"horizon must be a positive integer, got {self.horizon!r}")
        qs = tuple(sorted(float(q) for q in self.quantiles))
        for q in qs:
            quantile_name(q)  # raises on levels outside (0, 1)
        spec = self.features if self.features is not None else FeatureSpec()
        if not isinstance(spec, FeatureSpec):
            raise ConfigError(f"features must be a FeatureSpec, got {type(spec).__name__}")
        return spec, qs

    def fit(
        self,
        sales: pd.DataFrame,
        signals: Any = None,
        stores: pd.DataFrame | None = None,
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

        Returns
        -------
        Forecaster
            ``self``, fitted.
        """
        spec, qs = self._check_params()
        self.quantiles_ = qs
        cols = self.columns
        frame = inputs.canonical(sales, cols, "sales")
        stores_c = None if stores is None else inputs.canonical(stores, cols, "stores")
        panel = inputs.sales_panel(frame, self.freq)
        self.covariates_ = inputs.choose_covariates(panel, spec.covariates)
        skip = () if spec.ids_as_categories else ("sku", "store")
        static = StaticBlock.fit(inputs.static_frame(panel, spec.static), skip=skip)
        store = training.signal_store(signals, cols, stores_c)
        aligned = store.aligned(panel, stores=stores_c) if store is not None else {}
        if store is not None:
            _warn_unmatched(*training.unmatched_events(store, panel))
        hist = History.from_panel(panel, self.covariates_, aligned)
        self.leads_ = training.discover_leads(panel, aligned, self.horizon)
        design = Design(spec, self.covariates_, dict(self.leads_), static)
        rng = np.random.default_rng(self.seed)
        result = training.train(self, design, hist, rng)
        self.design_ = result.design
        self.model_ = result.model
        self.distribution_: NBDistribution = result.distribution
        self.signal_report_ = result.signal_report
        self.nowcast_coef_ = result.nowcast
        self.feature_names_ = result.feature_names
        self.ids_ = panel.ids.reset_index(drop=True)
        self.training_window_ = (panel.dates.grid[0], panel.dates.grid[-1])
        self.state_ = hist.tails(spec.history + self.horizon)
        self.signal_store_ = store
        self.stores_ = stores_c
        return self

    # ------------------------------------------------------------------ predict
    def predict(self, future: pd.DataFrame | None = None, *, as_of: Any = None) -> pd.DataFrame:
        """Forecast the next ``horizon`` periods after each series' last date.

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
        check_is_fitted(self, "model_")
        mean, hist, ids = self._forecast(future, as_of)
        series = np.repeat(np.arange(hist.n_series), self.horizon)
        q = self.distribution_.quantiles(mean, series, self.quantiles_)
        dates = self._target_dates(hist)
        out = pd.DataFrame(
            {"sku": ids["sku"].to_numpy()[series], "store": ids["store"].to_numpy()[series], "date": dates}
        )
        out[FORECAST_MEAN] = mean
        for j, level in enumerate(self.quantiles_):
            out[quantile_name(level)] = q[:, j]
        return inputs.user_names(out, self.columns)

    def _forecast(self, future: pd.DataFrame | None, as_of: Any) -> tuple[np.ndarray, History, pd.DataFrame]:
        """Mean forecasts (series-major), the state they start from and its ids; writes nothing."""
        fut = None if future is None else inputs.canonical(future, self.columns, "future")
        hist, ids, design = self.state_, self.ids_, self.design_
        if fut is not None:
            hist, ids, design, fut = self._with_cold_starts(fut)
        if as_of is not None:
            mean = self._nowcast_mean(hist, ids, design, fut, pd.Timestamp(as_of))
        else:
            mean = self._predict_mean(hist, ids, design, fut)
        return mean, hist, ids

    def forecast_ids(self, future: pd.DataFrame | None = None) -> pd.DataFrame:
        """The (sku, store) rows of :meth:`predict` and :meth:`sample_paths` for ``future``, in order.

        Without ``future`` (or when it names no new series) these are :attr:`ids_`; the cold starts
        of ``future`` follow them.
        """
        check_is_fitted(self, "model_")
        if future is None:
            return self.ids_
        return self._with_cold_starts(inputs.canonical(future, self.columns, "future"))[1]

    @property
    def forecast_ids_(self) -> pd.DataFrame:
        """The series order of ``predict()`` and ``sample_paths()`` without ``future``: :attr:`ids_`."""
        check_is_fitted(self, "model_")
        return self.ids_

    def _target_dates(self, hist: History) -> pd.DatetimeIndex:
        last = hist.grid[hist.grid_pos(hist.last_positions())]
        return inputs.horizon_dates(pd.DatetimeIndex(last), self.horizon, self.freq)

    def _with_cold_starts(self, fut: pd.DataFrame) -> tuple[History, pd.DataFrame, Design, pd.DataFrame]:
        """State, ids, design and future frame extended by the (sku, store) pairs of ``fut`` that have no
        history. A cold-start series' covariates before its first future row take that row's values."""
        missing = [c for c in ("sku", "store", "date") if c not in fut.columns]
        if missing:
            raise DataError(f"future frame is missing column(s) {missing}")
        pairs = fut[["sku", "store"]].drop_duplicates()
        is_new = pairs.merge(self.ids_.assign(_k=1), on=["sku", "store"], how="left")["_k"].isna().to_numpy()
        if not is_new.any():
            return self.state_, self.ids_, self.design_, fut
        if training.is_baseline(self.model_):
            raise ConfigError(f"model {self.model!r} cannot forecast series without history (cold starts)")
        new_pairs = pairs[is_new]
        origin = self.state_.grid[-1]
        fut = self._fill_cold_future(fut.assign(date=pd.to_datetime(fut["date"])), new_pairs, origin)
        rows = fut.merge(new_pairs, on=["sku", "store"]).sort_values("date").drop_duplicates(["sku", "store"])
        rows = rows.assign(date=origin, units=np.nan)
        keep = self.design_.spec.history + self.horizon
        state, ids, panel = _state.append_sales(
            self.state_,
            self.ids_,
            rows,
            covariates=self.covariates_,
            keep=keep,
            freq=self.freq,
            fill_missing="nan",
        )
        if self.signal_store_ is not None:
            aligned = self._aligned(
                self.signal_store_, _state.tail_panel(state, ids, self.freq), self.stores_
            )
            state = replace(state, signals={k: aligned[k] for k in state.signals})
        return state, ids, replace(self.design_, static=self._static_for(ids, panel)), fut

    def _fill_cold_future(
        self, fut: pd.DataFrame, new_pairs: pd.DataFrame, origin: pd.Timestamp
    ) -> pd.DataFrame:
        step = pd.tseries.frequencies.to_offset(self.freq)
        dates = pd.DatetimeIndex([origin + step * h for h in range(1, self.horizon + 1)])
        grid = new_pairs.merge(pd.DataFrame({"date": dates}), how="cross")
        rows = fut.merge(new_pairs, on=["sku", "store"])
        filled = grid.merge(rows, on=["sku", "store", "date"], how="outer").sort_values(
            ["sku", "store", "date"]
        )
        cols = [c for c in filled.columns if c not in ("sku", "store", "date")]
        filled[cols] = filled.groupby(["sku", "store"])[cols].bfill()
        filled[cols] = filled.groupby(["sku", "store"])[cols].ffill()
        old = fut.merge(new_pairs.assign(_n=1), on=["sku", "store"], how="left")
        return pd.concat([old[old["_n"].isna()].drop(columns="_n"), filled], ignore_index=True)

    def _nowcast_mean(
        self, hist: History, ids: pd.DataFrame, design: Design, fut: pd.DataFrame | None, as_of: pd.Timestamp
    ) -> np.ndarray:
        from pullcast.forecast import nowcast

        store = self.signal_store_
        if store is None or not hist.signals or training.is_baseline(self.model_):
            raise ConfigError("intraday nowcasts need a LightGBM model fit with signals")
        day = hist.grid[-1] + pd.tseries.frequencies.to_offset(self.freq)
        if as_of.tzinfo is not None:
            as_of = as_of.tz_convert(store.tz).tz_localize(None)
        if as_of >= day + pd.Timedelta(days=1):
            raise ConfigError(
                f"as_of {as_of} is after {day.date()}, the day after the origin: update() the sales first"
            )
        if as_of < day:
            return self._predict_mean(hist, ids, design, fut)
        channels = list(hist.signals)
        blank = nowcast.extend_one_day(hist, self.freq)
        panel = _state.tail_panel(blank, ids, self.freq)
        last = blank.indptr[1:] - 1
        now = store.aligned(panel, as_of=as_of, stores=self.stores_)
        before = store.aligned(panel, as_of=day - pd.Timedelta(1, "ns"), stores=self.stores_)
        today = {c: now[c][last] for c in channels}
        if all(np.array_equal(today[c], before[c][last], equal_nan=True) for c in channels):
            return self._predict_mean(hist, ids, design, fut)
        profile = nowcast.intraday_profile(store, channels, before=day)
        start = self._predict_mean(hist, ids, design, fut)
        coef = getattr(self, "nowcast_coef_", None) or {}
        h = np.tile(np.arange(self.horizon), hist.n_series)
        series = np.repeat(np.arange(hist.n_series), self.horizon)
        shift = np.zeros(start.size)
        for c, per_h in coef.items():
            level = store.channels[c].agg != "sum"
            share = 1.0 if level else max(profile.share(c, as_of), 1e-3)
            reliability = 1.0 if level else share / (share + nowcast.SHRINK)
            prior = nowcast.recent_mean(hist.signals[c], hist.indptr)
            z = nowcast.log_surprise(today[c] / share, prior)
            shift += np.asarray(per_h)[h] * reliability * z[series]
        return np.clip((start + 1.0) * np.exp(shift) - 1.0, 0.0, None)

    def _design_rows(
        self, hist: History, ids: pd.DataFrame, design: Design, fut: pd.DataFrame | None
    ) -> pd.DataFrame:
        series = np.repeat(np.arange(hist.n_series), self.horizon)
        dates = self._target_dates(hist)
        cov = inputs.future_covariates(fut, ids, dates, series, self.covariates_)
        return design.forecast_matrix(hist, self.horizon, dates, cov)

    def _predict_mean(
        self, hist: History, ids: pd.DataFrame, design: Design, fut: pd.DataFrame | None
    ) -> np.ndarray:
        if training.is_baseline(self.model_):
            return np.asarray(self.model_.predict(self.horizon), dtype=np.float64).reshape(-1)
        X = self._design_rows(hist, ids, design, fut)
        return self.model_.predict(X[self.feature_names_])

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
        check_is_fitted(self, "model_")
        if int(n) < 1:
            raise ConfigError(f"n must be >= 1, got {n}")
        mean, hist, _ = self._forecast(future, as_of)
        mean = mean.reshape(hist.n_series, self.horizon)
        return self.distribution_.sample_paths(mean, int(n), np.random.default_rng(seed))

    def feature_importance(self) -> pd.Series:
        """Gain of each feature of the LightGBM model, largest first."""
        check_is_fitted(self, "model_")
        if training.is_baseline(self.model_):
            raise ConfigError(f"model {self.model!r} has no feature importance")
        return self.model_.feature_importance()

    # ------------------------------------------------------------------ persistence
    def save(self, path: Any) -> Any:
        """Write the fitted forecaster to directory ``path`` (LightGBM text, JSON, npz; no pickle)."""
        check_is_fitted(self, "model_")
        from pullcast.forecast.persist import save

        return save(self, path)

    @classmethod
    def load(cls, path: Any) -> Forecaster:
        """Read a forecaster saved with :meth:`save`; a changed, corrupt or incompatible directory raises
        :class:`pullcast.errors.IncompatibleModelError`."""
        from pullcast.forecast.persist import load

        return load(path)

    # ------------------------------------------------------------------ state
    def refresh(
        self, sales: pd.DataFrame, signals: Any = None, stores: pd.DataFrame | None = None
    ) -> Forecaster:
        """Replace the forecasting state with ``sales`` (and signals) as known now, without retraining.

        Used by backtests with ``refit=False``. Baseline models are refit (they have no separate state).
        """
        check_is_fitted(self, "model_")
        spec = self.design_.spec
        frame = inputs.canonical(sales, self.columns, "sales")
        stores_c = self.stores_ if stores is None else inputs.canonical(stores, self.columns, "stores")
        panel = inputs.sales_panel(frame, self.freq)
        store = (
            self.signal_store_ if signals is None else training.signal_store(signals, self.columns, stores_c)
        )
        aligned = self._aligned(store, panel, stores_c)
        hist = History.from_panel(panel, self.covariates_, aligned)
        self._set_state(hist.tails(spec.history + self.horizon), panel.ids.reset_index(drop=True), panel)
        self.signal_store_, self.stores_ = store, stores_c
        return self

    def update(self, sales: pd.DataFrame | None = None, signals: Any = None) -> Forecaster:
        """Append new sales days and/or signal events and move the forecast origin, without retraining.

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
        check_is_fitted(self, "model_")
        state, ids = self.state_, self.ids_
        new_panel = None
        if sales is not None:
            new = inputs.canonical(sales, self.columns, "sales")
            keep = self.design_.spec.history + self.horizon
            state, ids, new_panel = _state.append_sales(
                state, ids, new, covariates=self.covariates_, keep=keep, freq=self.freq
            )
        if signals is not None:
            if self.signal_store_ is None:
                raise DataError("this model was fit without signals; it cannot take signal events")
            self.last_ingest_ = self.signal_store_.append(inputs.canonical(signals, self.columns, "signals"))
        if self.signal_store_ is not None and (sales is not None or signals is not None):
            aligned = self._aligned(
                self.signal_store_, _state.tail_panel(state, ids, self.freq), self.stores_
            )
            state = replace(state, signals={k: aligned[k] for k in state.signals})
        self._set_state(state, ids, new_panel)
        return self

    def _aligned(self, store: Any, panel: Panel, stores: pd.DataFrame | None) -> dict[str, np.ndarray]:
        channels = list(self.state_.signals) if hasattr(self, "state_") else []
        if store is None:
            if channels:
                raise DataError(f"this model uses signal channels {channels}: pass signals")
            return {}
        aligned = store.aligned(panel, stores=stores)
        missing = [c for c in channels if c not in aligned]
        if missing:
            raise DataError(
                f"signal channel(s) {missing} used by the model are absent from the signals given"
            )
        return {c: np.array(aligned[c], dtype=np.float64) for c in channels}  # copies: the store's are views

    def _static_for(self, ids: pd.DataFrame, panel: Panel | None) -> StaticBlock:
        """The static block over ``ids``: known series keep their attributes, new ones take ``panel``'s."""
        static = self.design_.static
        old = static.frame
        if len(ids) == len(old) and ids[["sku", "store"]].equals(old[["sku", "store"]]):
            return static
        frames = [old] if panel is None else [old, inputs.static_frame(panel, self.design_.spec.static)]
        pool = pd.concat(frames).drop_duplicates(["sku", "store"], keep="first")
        merged = ids.merge(pool, on=["sku", "store"], how="left")
        return static.for_frame(merged[[c for c in old.columns]])

    def _set_state(self, state: History, ids: pd.DataFrame, panel: Panel | None) -> None:
        self.design_ = replace(self.design_, static=self._static_for(ids, panel))
        self.state_, self.ids_ = state, ids.reset_index(drop=True)
        if training.is_baseline(self.model_):
            self.model_ = self.model_.fit(state.y, state.indptr)
