"""The :class:`DaskForecaster`: pullcast's Forecaster over a Dask cluster, partitioned by SKU."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from pullcast.base import Estimator, check_is_fitted
from pullcast.columns import Columns
from pullcast.distributed import _boost, _calibrate, _io, _partition
from pullcast.distributed._leads import combine_leads
from pullcast.errors import ConfigError, DataError
from pullcast.features import Design, FeatureSpec, StaticBlock
from pullcast.forecast import training
from pullcast.forecast.distribution import NBDistribution
from pullcast.forecast.fitted import FittedModel, FittedViews
from pullcast.forecast.forecaster import Forecaster
from pullcast.forecast.gate import Scenario, empty_report, gate_channels, group_scenarios
from pullcast.models.lgbm import GlobalLGBM

__all__ = ["DaskForecaster"]


class DaskForecaster(FittedViews, Estimator):
    """:class:`pullcast.Forecaster` on Dask: features per SKU partition, one LightGBM across workers.

    Sales (and signal events) are repartitioned by a hash of the SKU, so all stores of a SKU and its
    SKU-level signals sit in one partition. Each partition builds its panel, aligned signals and feature
    rows with the single-machine code on the global date grid; the global LightGBM model trains across
    the workers with ``lightgbm.dask``; forecasts are made per partition by a single-machine
    :class:`~pullcast.Forecaster` that shares the global model. Only small aggregates (dates, row counts,
    category values, leads, dispersion sums, per-round validation losses) reach the client.

    Parameters
    ----------
    client : distributed.Client
        The Dask client of the cluster to run on.
    npartitions : int or None, default None
        Number of SKU partitions (None: the input's partition count).
    horizon, quantiles, features, model, seed, columns, freq, signal_gate, max_rows, train_window,
    refit_final, verbose
        As for :class:`pullcast.Forecaster`; ``model`` must be "lgbm" or a
        :class:`pullcast.models.GlobalLGBM`.

    Attributes
    ----------
    fitted_ : pullcast.forecast.fitted.FittedModel
        What fit learnt, the same frozen value a :class:`pullcast.Forecaster` holds. Its distribution
        carries the global correlation and scale and, as its one dispersion, the pooled one: the
        per-series dispersions stay in the partitions.
    parts_ : list of distributed.Future
        The forecast state: one single-machine Forecaster per partition, kept on the workers, each
        holding ``fitted_`` with its partition's design and dispersions.
    stores_ : pandas.DataFrame or None
        The ``store, region`` map given to fit.
    timings_ : dict of str to float
        Wall seconds per fit stage.
    model_, distribution_, signal_report_, feature_names_, design_, quantiles_, covariates_, leads_,
    training_window_, distribution_summary_, n_partitions_
        Read-only views of ``fitted_`` (and of ``parts_`` for the partition count).

    Notes
    -----
    Differences from the single-machine fit: training rows are sampled per partition (each partition
    gets its share of ``max_rows``) and LightGBM's data-parallel training bins features per worker. Signal
    leads are the same as on one machine (summed per-partition statistics). Forecasts therefore agree with
    :class:`pullcast.Forecaster`'s up to these differences, not bit for bit.
    """

    _clock: float  # start of the current fit stage (see timings_)

    def __init__(
        self,
        client: Any = None,
        npartitions: int | None = None,
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
        self.client = client
        self.npartitions = npartitions
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

    # ------------------------------------------------------------------ helpers
    def _lap(self, stage: str) -> None:
        """Record the wall time since the previous lap in ``timings_`` (seconds per fit stage)."""
        now = time.perf_counter()
        self.timings_[stage] = now - self._clock
        self._clock = now

    def _forecaster_params(self) -> dict[str, Any]:
        params = self.get_params()
        params.pop("client")
        params.pop("npartitions")
        return params

    def _client(self) -> Any:
        if self.client is None:
            raise ConfigError("DaskForecaster needs client= a distributed.Client")
        return self.client

    def _submit_all(self, fn: Any, *lists: list[Any], **kwargs: Any) -> list[Any]:
        client = self._client()
        rows = list(zip(*lists, strict=True))
        where = _io.placement(client, len(rows))
        return [
            client.submit(fn, *args, pure=False, **_io.pinned(w), **kwargs)
            for args, w in zip(rows, where, strict=True)
        ]

    def _inputs(self, sales: Any, signals: Any) -> tuple[list[Any], list[Any], tuple[str, ...], int]:
        cols = self.columns
        sales_dd = _io.as_dask(sales, cols, "sales")
        n = int(self.npartitions or sales_dd.npartitions)
        if n < 1:
            raise ConfigError(f"npartitions must be >= 1, got {n}")
        client = self._client()
        sales_f = _io.partition_futures(client, _io.by_sku(sales_dd, n))
        if signals is None:
            return sales_f, [None] * n, (), n
        if not hasattr(signals, "npartitions") and not isinstance(signals, (pd.DataFrame, str)):
            raise DataError("DaskForecaster takes signal events as a Dask/pandas frame or a Parquet path")
        events_dd = _io.as_dask(signals, cols, "signals")
        channels = tuple(sorted(str(c) for c in events_dd["channel"].unique().compute()))
        events_f = _io.partition_futures(client, _io.by_sku(events_dd, n))
        return sales_f, events_f, channels, n

    # ------------------------------------------------------------------ fit
    def fit(self, sales: Any, signals: Any = None, stores: pd.DataFrame | None = None) -> DaskForecaster:
        """Learn from sales (and signal events) held as Dask DataFrames or Parquet files.

        Parameters
        ----------
        sales : dask.dataframe.DataFrame, pandas.DataFrame or str
            The long sales frame (docs/architecture.md), or a path/glob of Parquet files holding it.
        signals : dask.dataframe.DataFrame, pandas.DataFrame, str or None, default None
            Signal events with a ``sku`` column (SKU, store or region level).
        stores : pandas.DataFrame or None, default None
            ``store, region`` map for region-level signals (small; sent to every partition).

        Returns
        -------
        DaskForecaster
            ``self``, fitted.
        """
        params = self._forecaster_params()
        spec, qs = Forecaster(**params).check_params()
        template = training.make_model(self.model, self.seed)
        if not isinstance(template, GlobalLGBM):
            raise ConfigError(
                f"DaskForecaster trains the global LightGBM model only, got model={self.model!r}"
            )
        stores_c = None if stores is None else stores.rename(columns=self.columns.canonical())
        self.timings_: dict[str, float] = {}
        self._clock = time.perf_counter()
        parts, design, grid, channels = self._parts(sales, signals, stores_c, spec)
        fitted, local = self._train(parts, template, design, channels, qs, stores_c, (grid[0], grid[-1]))
        self._lap("calibrate_and_final_model")
        self.fitted_ = fitted
        self.parts_ = local
        self.stores_ = stores_c
        return self

    @property
    def design_(self) -> Design:
        return self._fitted().design

    @property
    def distribution_summary_(self) -> dict[str, float]:
        dist = self._fitted().distribution
        return {"rho": dist.rho, "scale": dist.scale, "pooled": float(dist.alpha[0])}

    @property
    def n_partitions_(self) -> int:
        return len(self.parts_)

    def _parts(
        self, sales: Any, signals: Any, stores: pd.DataFrame | None, spec: FeatureSpec, all_rows: bool = False
    ) -> tuple[list[Any], Design, pd.DatetimeIndex, tuple[str, ...]]:
        """Futures of the partitions with their feature rows, the global design, the global grid and the
        signal channels (with the rows of every origin when refitting or ``all_rows``)."""
        params = self._forecaster_params()
        params["refit_final"] = bool(params["refit_final"]) or all_rows
        sales_f, events_f, channels, _ = self._inputs(sales, signals)
        prep = self._submit_all(
            _partition.prepare,
            sales_f,
            events_f,
            params=params,
            stores=stores,
            channels=channels,
            requested=(spec.static, spec.covariates),
        )
        shares = self._client().gather(self._submit_all(_partition.stats_of, prep))
        if channels:
            lost = self._client().gather(self._submit_all(_partition.unmatched, prep, events_f))
            examples = [e for part in lost for e in part[2]][:3]
            training.warn_unmatched(sum(p[0] for p in lost), sum(p[1] for p in lost), examples, stacklevel=3)
        stats = [s for s in shares if s is not None]
        if not stats:
            raise DataError("the sales frame is empty")
        design, static_cols, grid = self._global_design(spec, stats)
        total = sum(s["n_values"] for s in stats)
        caps = [0 if s is None else max(1, int(round(self.max_rows * s["n_values"] / total))) for s in shares]
        parts = [
            self._client().submit(
                _partition.build_part,
                p,
                design=design,
                static_cols=static_cols,
                grid=grid,
                params=params,
                max_rows=cap,
                part_seed=(int(self.seed), k),
                pure=False,
            )
            for k, (p, cap) in enumerate(zip(prep, caps, strict=True))
        ]
        return parts, design, grid, channels

    def training_rows(
        self, sales: Any, signals: Any = None, stores: pd.DataFrame | None = None, which: str = "all"
    ) -> Any:
        """The feature rows :meth:`fit` builds, keyed by ``sku, store, origin, horizon`` (for inspection).

        Parameters
        ----------
        sales, signals, stores
            As for :meth:`fit`.
        which : {"tr", "va", "all"}, default "all"
            Rows of the held-out model's training set (the final model's unless ``refit_final``), its
            held-out set, or the rows of every origin that ``refit_final=True`` refits on.

        Returns
        -------
        dask.dataframe.DataFrame
            ``sku, store, origin``, the features and ``__target`` (the demand at origin + horizon).
        """
        if which not in ("tr", "va", "all"):
            raise ConfigError(f"which must be 'tr', 'va' or 'all', got {which!r}")
        params = self._forecaster_params()
        spec, _ = Forecaster(**params).check_params()
        stores_c = None if stores is None else stores.rename(columns=self.columns.canonical())
        parts = self._parts(sales, signals, stores_c, spec, all_rows=which == "all")[0]
        return self._from_futures(self._submit_all(_partition.rows_with_keys, parts, name=which))

    def _global_design(
        self, spec: FeatureSpec, stats: list[dict[str, Any]]
    ) -> tuple[Design, tuple[str, ...], Any]:
        """Grid, leads, covariates and static categories from the partitions' small statistics."""
        first = min(s["first"] for s in stats)
        last = max(s["last"] for s in stats)
        grid = pd.date_range(first, last, freq=pd.tseries.frequencies.to_offset(self.freq))
        covariates = tuple(stats[0]["covariates"])
        sums = [(int(grid.get_loc(s["first"])), s["lead_sums"]) for s in stats]
        leads = combine_leads(sums, len(grid))
        if spec.static is not None:
            static_cols = tuple(spec.static)
        else:
            common = set(stats[0]["static_extra"])
            for s in stats[1:]:
                common &= set(s["static_extra"])
            static_cols = tuple(c for c in stats[0]["static_extra"] if c in common)
        skip = spec.skipped_ids
        cats = {
            c: sorted({v for s in stats for v in s["static"][c]})
            for c in ("sku", "store", *static_cols)
            if c not in skip
        }
        design = Design(spec, covariates, dict(leads), StaticBlock(pd.DataFrame(), cats))
        return design, static_cols, grid

    def _frames(
        self, parts: list[Any], counts: list[dict[str, int]], name: str, cols: list[str], frac: float
    ) -> Any:
        import dask.dataframe as dd

        client = self._client()
        live = [(k, p) for k, (p, c) in enumerate(zip(parts, counts, strict=True)) if c[name] > 0]
        if not live:
            raise ConfigError(
                f"no {name!r} training rows: the history is too short for horizon {self.horizon}"
            )
        where = _io.placement(client, len(parts))
        seed = int(self.seed) * 1_000_003
        futs = [
            client.submit(_boost.sub_frame, p, name, cols, frac, seed + k, pure=False, **_io.pinned(where[k]))
            for k, p in live
        ]
        meta = client.submit(lambda f: f.iloc[:0], futs[0]).result()
        frame = dd.from_delayed(futs, meta=meta, verify_meta=False)
        return frame[cols], frame[_partition.TARGET]

    def _fit_eval(
        self,
        parts: list[Any],
        counts: list[dict[str, int]],
        template: GlobalLGBM,
        cols: list[str],
        frac: float,
    ) -> tuple[Any, int, np.ndarray]:
        """Train on the training rows, pick the round count on the held-out rows.

        Returns the booster, the round count and the held-out absolute error of every partition with
        held-out rows at that round (the gate's clusters: partitions hold whole SKUs).
        """
        client = self._client()
        X, y = self._frames(parts, counts, "tr", cols, frac)
        booster = _boost.fit_dask(client, X, y, template, int(template.n_estimators))
        leaves = _boost.leaf_values(booster)
        lgb_params = template.lgb_params()
        res = [
            r
            for r in client.gather(
                self._submit_all(
                    _boost.round_losses,
                    parts,
                    booster=booster,
                    leaves=leaves,
                    columns=cols,
                    params=lgb_params,
                )
            )
            if r is not None
        ]
        if not res:
            raise ConfigError("no held-out rows to evaluate the model on")
        loss = np.sum([r["loss"] for r in res], axis=0)
        rounds = _boost.best_round(loss, int(template.early_stopping_rounds))
        return booster, rounds, np.array([r["abs_err"][rounds - 1] for r in res])

    def _gate_errors(
        self, parts: list[Any], counts: list[dict[str, int]], template: GlobalLGBM, frac: float
    ) -> Any:
        """The gate's ``errors`` callable: one distributed fit per column set, scored per partition."""
        client = self._client()

        def errors(scenarios: list[Scenario]) -> list[np.ndarray]:
            found = {}
            for cols, scrambles in group_scenarios(scenarios).items():
                booster, rounds, abs_err = self._fit_eval(parts, counts, template, list(cols), frac)
                model = _boost.as_model(booster, template, rounds)
                for scrambled in scrambles:
                    if not scrambled:
                        found[(cols, scrambled)] = abs_err
                        continue
                    res = client.gather(
                        self._submit_all(
                            _boost.held_out_abs_err,
                            parts,
                            model=model,
                            scrambled=list(scrambled),
                            seed=int(self.seed),
                        )
                    )
                    found[(cols, scrambled)] = np.array([r for r in res if r is not None])
            return [found[(tuple(c), tuple(s))] for c, s in scenarios]

        return errors

    def _train(
        self,
        parts: list[Any],
        template: GlobalLGBM,
        design: Design,
        channels: tuple[str, ...],
        quantiles: tuple[float, ...],
        stores: pd.DataFrame | None,
        window: tuple[pd.Timestamp, pd.Timestamp],
    ) -> tuple[FittedModel, list[Any]]:
        """The signal gate, the final model and the calibration, as in ``forecast.training.train``:
        the fitted value and the futures of the per-partition forecasters."""
        client = self._client()
        counts = client.gather(self._submit_all(_partition.n_rows, parts))
        self._lap("features")
        meta_part = (
            next(p for p, c in zip(parts, counts, strict=True) if c["tr"] > 0)
            if any(c["tr"] for c in counts)
            else None
        )
        if meta_part is None:
            raise ConfigError(f"not enough history for horizon {self.horizon}: no training rows")
        all_cols = client.submit(
            lambda p: [c for c in p.frames["tr"].columns if c != _partition.TARGET], meta_part
        ).result()
        n_tr = sum(c["tr"] for c in counts)
        report = empty_report()
        kept = list(channels)
        if channels and self.signal_gate is not None:
            frac = min(1.0, training.GATE_ROWS / max(n_tr, 1))
            kept, report = gate_channels(
                list(channels),
                all_cols,
                self._gate_errors(parts, counts, template, frac),
                gate=float(self.signal_gate),
                leads=design.leads,
                total_y=float(sum(client.gather(self._submit_all(_boost.held_out_abs_y, parts)))),
            )
        dropped = tuple(f"sig_{c}_" for c in channels if c not in kept)
        cols = [c for c in all_cols if not c.startswith(dropped)] if dropped else all_cols
        self._lap("signal_gate")
        booster, rounds, _ = self._fit_eval(parts, counts, template, cols, 1.0)
        self._lap("validation_model")
        valid_model = _boost.as_model(booster, template, rounds)
        dist = self._calibrate(parts, valid_model, quantiles)
        final = valid_model
        if self.refit_final:
            X, y = self._frames(parts, counts, "all", cols, 1.0)
            final_rounds = max(rounds, 10)
            final = _boost.as_model(
                _boost.fit_dask(client, X, y, template, final_rounds), template, final_rounds
            )
        fitted = FittedModel(
            design=replace(design, drop=dropped),
            model=final,
            distribution=NBDistribution(
                alpha=np.array([dist["pooled"]]), rho=dist["rho"], scale=dist["scale"]
            ),
            signal_report=report,
            feature_names=tuple(cols),
            quantiles=quantiles,
            covariates=tuple(design.covariates),
            leads=dict(design.leads),
            training_window=window,
            horizon=int(self.horizon),
            freq=self.freq,
            columns=self.columns,
        )
        light = self._submit_all(_partition.drop_training_rows, parts)
        fitted_f = client.scatter(fitted, broadcast=True)
        local = [
            client.submit(
                _partition.local_forecaster,
                p,
                fitted=fitted_f,
                alpha=a,
                stores=stores,
                params=self._forecaster_params(),
                pure=False,
            )
            for p, a in zip(light, dist["alpha"], strict=True)
        ]
        return fitted, local

    def _calibrate(self, parts: list[Any], model: GlobalLGBM, quantiles: tuple[float, ...]) -> dict[str, Any]:
        """Per-partition dispersions (futures) and the global scale and correlation."""
        client = self._client()
        horizon = int(self.horizon)
        valid = self._submit_all(_boost.valid_predictions, parts, model=model, horizon=horizon)
        mom = self._submit_all(_calibrate.moments, valid)
        summ = [s for s in client.gather(self._submit_all(_calibrate.moment_summary, mom)) if s is not None]
        num = sum(s["num"] for s in summ)
        den = sum(s["den"] for s in summ)
        pooled = float(np.clip(num / max(den, 1e-12), _calibrate._ALPHA_MIN, _calibrate._ALPHA_MAX))
        den_pos = np.concatenate([s["den_pos"] for s in summ]) if summ else np.empty(0)
        kappa = float(np.median(den_pos)) if den_pos.size else 1.0
        alpha = self._submit_all(_calibrate.alpha_of, mom, pooled=pooled, kappa=kappa)
        coverage = training.central_coverage(quantiles)
        scale = 1.0
        if coverage is not None:
            n_valid = sum(
                c for c in client.gather(self._submit_all(lambda v: 0 if v is None else v["y"].size, valid))
            )
            share = min(1.0, _calibrate._SCALE_ROWS / max(n_valid, 1))
            samples = [
                s
                for s in client.gather(
                    [
                        client.submit(_calibrate.scale_sample, v, a, share, (int(self.seed), k), pure=False)
                        for k, (v, a) in enumerate(zip(valid, alpha, strict=True))
                    ]
                )
                if s is not None
            ]
            if samples:
                cat = {k: np.concatenate([s[k] for s in samples]) for k in ("y", "mu", "a")}
                scale = _calibrate.search_scale(cat["y"], cat["mu"], cat["a"], coverage)
        final_alpha = self._submit_all(_calibrate.alpha_of, mom, pooled=pooled, kappa=kappa, scale=scale)
        sums = [
            s
            for s in client.gather(
                [
                    client.submit(_calibrate.pair_sums, v, a, (int(self.seed) + 1, k), pure=False)
                    for k, (v, a) in enumerate(zip(valid, final_alpha, strict=True))
                ]
            )
            if s is not None
        ]
        rho = _calibrate.rho_from_sums(np.sum(sums, axis=0)) if sums else 0.0
        return {"alpha": final_alpha, "rho": rho, "scale": scale, "pooled": pooled}

    # ------------------------------------------------------------------ predict
    def predict(self, future: Any = None) -> Any:
        """Forecast the next ``horizon`` periods of every series, per partition.

        Parameters
        ----------
        future : dask.dataframe.DataFrame, pandas.DataFrame, str or None, default None
            Known-ahead covariates (and cold-start rows) for the forecast dates, as for
            :meth:`pullcast.Forecaster.predict`; repartitioned by SKU like the sales.

        Returns
        -------
        dask.dataframe.DataFrame
            sku, store, date, forecast and the quantile columns, one partition per SKU partition
            (sorted by sku, store, date within each).
        """
        check_is_fitted(self, "parts_")
        futures = self.predict_futures(future)
        return self._from_futures(futures)

    def predict_futures(self, future: Any = None, then: Any = None, *args: Any) -> list[Any]:
        """Per-partition forecast frames as futures (kept on the workers).

        ``then(forecast, *partition_args)``, when given, runs on each partition's forecast on its worker
        with the matching partitions of ``args`` (Dask frames, repartitioned by SKU like the sales).
        """
        check_is_fitted(self, "parts_")
        client = self._client()
        n = len(self.parts_)
        fut_f: list[Any] = [None] * n
        if future is not None:
            fut_f = _io.partition_futures(client, _io.by_sku(_io.as_dask(future, self.columns, "future"), n))
        extra = [
            _io.partition_futures(client, _io.by_sku(_io.as_dask(a, self.columns, "frame"), n)) for a in args
        ]
        return [
            client.submit(_predict_part, f, fu, then, *[e[k] for e in extra], pure=False)
            for k, (f, fu) in enumerate(zip(self.parts_, fut_f, strict=True))
        ]

    def _from_futures(self, futures: list[Any]) -> Any:
        import dask.dataframe as dd

        client = self._client()
        sizes = client.gather([client.submit(len, f) for f in futures])
        live = [f for f, s in zip(futures, sizes, strict=True) if s > 0] or futures[:1]
        meta = client.submit(lambda f: f.iloc[:0], live[0]).result()
        return dd.from_delayed(live, meta=meta, verify_meta=False)


def _predict_part(f: Forecaster | None, future: pd.DataFrame | None, then: Any, *args: Any) -> pd.DataFrame:
    """One partition's forecast (an empty frame for an empty partition), optionally post-processed."""
    if f is None:
        return pd.DataFrame()
    fut = None if future is None or len(future) == 0 else future.reset_index(drop=True)
    out = f.predict(fut)
    if then is not None:
        out = then(out, *[a.reset_index(drop=True) for a in args])
    return out
