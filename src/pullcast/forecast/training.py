"""The training pipeline of the Forecaster, as public steps the other front ends reuse.

:func:`train` runs them in order on a :class:`~pullcast.features.History` and its
:class:`~pullcast.features.Design`:

1. the origin split: training origins, then :data:`VALID_ORIGINS` held-out origins at the end
   (:func:`~pullcast.features.sample_rows` draws the rows of each);
2. the signal gate (:mod:`pullcast.forecast.gate`) on :data:`GATE_FOLDS` rolling origins, with gate fits
   of at most :data:`GATE_ROWS` rows, :data:`GATE_VALID_ROWS` held-out rows per fold and the LightGBM
   settings :data:`GATE_FIT` (:func:`gate_errors`);
3. the held-out fit with early stopping, whose predictions calibrate the predictive distribution
   (:func:`~pullcast.forecast.distribution.fit_distribution`) and the nowcast coefficients
   (:func:`fit_surprise`). It is the final model;
4. only with ``refit_final=True``: a refit on every origin, with the held-out fit's number of rounds.
   It costs a second fit and was no more accurate where measured (docs/benchmarks.md), so it is off
   by default.

``DaskForecaster`` and the service call these same names: :func:`make_model`, :func:`signal_store`,
:func:`discover_leads` (leads significant at :data:`LEAD_P_VALUE`), :func:`central_coverage`,
:func:`unmatched_events` and :func:`warn_unmatched`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from pullcast.base import clone
from pullcast.columns import Columns
from pullcast.errors import ConfigError, DataError, UnmatchedSignalWarning
from pullcast.features import Design, History, sample_rows
from pullcast.features.spec import MAX_LEAD
from pullcast.forecast.distribution import NBDistribution, fit_distribution
from pullcast.forecast.fitted import is_baseline
from pullcast.forecast.gate import (
    Scenario,
    empty_report,
    gate_channels,
    gate_folds,
    group_scenarios,
    scrambled_errors,
)
from pullcast.forecast.inputs import canonical
from pullcast.models.lgbm import GlobalLGBM
from pullcast.panel import Panel

__all__ = [
    "GATE_FIT",
    "GATE_FOLDS",
    "GATE_MIN_CLUSTERS",
    "GATE_ROWS",
    "GATE_VALID_ROWS",
    "GATE_WIDTH",
    "LEAD_P_VALUE",
    "MAX_ROWS",
    "VALID_ORIGINS",
    "TrainResult",
    "central_coverage",
    "discover_leads",
    "fit_surprise",
    "gate_clusters",
    "gate_errors",
    "history_span",
    "is_baseline",
    "leads_from_table",
    "make_model",
    "max_lead",
    "signal_store",
    "signal_surprise",
    "train",
    "trim_history",
    "unmatched_events",
    "warn_unmatched",
]

MAX_ROWS = 300_000  # default training rows of one fit (Forecaster, DaskForecaster and the CLI)
VALID_ORIGINS = 7  # held-out origins at the end of the training data
GATE_MIN_CLUSTERS = 10  # fewer SKUs than this: the gate clusters by SKU and region (gate_clusters)
GATE_FOLDS = 3  # rolling origins on which the signal gate measures each channel
GATE_ROWS = 60_000  # training rows of one gate fit (per fold)
GATE_VALID_ROWS = 60_000  # held-out rows of one fold
GATE_WIDTH = 21  # held-out origins of one gate fold
GATE_FIT = {"learning_rate": 0.2, "n_estimators": 75, "early_stopping_rounds": 5}  # fewer, larger steps
LEAD_P_VALUE = 0.01  # a channel's lead counts when its test p-value is below this


@dataclass(frozen=True)
class TrainResult:
    """What :func:`train` learns: the design (with dropped channels), the final model, the calibrated
    distribution, the gate report, the feature columns and the nowcast coefficients."""

    design: Design
    model: Any
    distribution: NBDistribution
    signal_report: pd.DataFrame
    feature_names: list[str]
    nowcast: dict[str, list[float]] | None = None


def make_model(spec: Any, seed: int) -> Any:
    """A fresh model from a Forecaster's ``model`` parameter: "lgbm", a baseline name or an estimator."""
    if isinstance(spec, str):
        if spec == "lgbm":
            return GlobalLGBM(seed=seed)
        from pullcast.models import get_model

        return get_model(spec)
    if hasattr(spec, "fit") and hasattr(spec, "get_params"):
        return clone(spec)
    raise ConfigError(f"model must be 'lgbm', a baseline name or a model object, got {spec!r}")


def signal_store(signals: Any, columns: Columns, stores: pd.DataFrame | None) -> Any:
    """A SignalStore from events or a store (None when there are no signals)."""
    if signals is None:
        return None
    from pullcast.signals import SignalStore

    if isinstance(signals, SignalStore):
        return signals
    events = canonical(signals, columns, "signals")
    store = SignalStore(stores=stores)
    store.append(events)
    return store


def unmatched_events(store: Any, panel: Panel) -> tuple[int, int, list[Any]]:
    """Events of ``store`` whose SKU has no series in ``panel``: (count, total, up to 3 such SKUs).

    Labels match as alignment matches them, by value and type: SKU ``1`` and SKU ``"1"`` differ.
    """
    codes = np.asarray(store.log["sku"], dtype=np.int64)
    if codes.size == 0:
        return 0, 0, []
    known = store.sku_vocab.lookup(pd.unique(panel.ids[panel.columns.sku]))
    matched = np.zeros(len(store.sku_vocab) + 1, dtype=bool)
    matched[known[known >= 0]] = True
    missing = ~matched[codes]
    examples = store.sku_vocab.decode(np.unique(codes[missing])[:3]).tolist()
    return int(missing.sum()), int(codes.size), examples


def warn_unmatched(lost: int, total: int, examples: list[Any], stacklevel: int = 2) -> None:
    """Warn (:class:`~pullcast.errors.UnmatchedSignalWarning`) when more than half of ``total`` signal
    events are ``lost``: their SKU names no sales series (``examples``: up to 3 such SKUs)."""
    if total and lost > total / 2:
        warnings.warn(
            f"{lost:,} of {total:,} signal events ({lost / total:.0%}) name SKUs with no sales series "
            f"(e.g. {examples}); they reach no forecast. Check that the sku labels have the same type "
            "and spelling in sales and signals (1 and '1' differ).",
            UnmatchedSignalWarning,
            stacklevel=stacklevel + 1,
        )


def discover_leads(panel: Panel, aligned: dict[str, np.ndarray], horizon: int) -> dict[str, int]:
    """Lead (days) of each channel that significantly anticipates sales; 0 when none is found."""
    if not aligned:
        return {}
    from pullcast.signals import signal_leads

    return leads_from_table(signal_leads(panel, aligned, max_lead=max_lead(horizon)))


def max_lead(horizon: int) -> int:
    """The largest lead :func:`discover_leads` tries for a horizon (at most
    :data:`~pullcast.features.spec.MAX_LEAD` days)."""
    return min(MAX_LEAD, max(int(horizon), 1))


def leads_from_table(table: pd.DataFrame) -> dict[str, int]:
    """The leads a Forecaster uses from a :func:`~pullcast.signals.signal_leads` table: a channel's lead
    when its p-value is below :data:`LEAD_P_VALUE` and it is positive, else 0."""
    leads = {}
    for row in table.itertuples(index=False):
        lead = row.lead_days
        ok = lead == lead and lead is not None and float(row.p_value) < LEAD_P_VALUE
        leads[str(row.channel)] = int(lead) if ok and lead > 0 else 0
    return leads


def _fit_eval(
    model: Any,
    cols: list[str],
    train: tuple[pd.DataFrame, np.ndarray],
    valid: tuple[pd.DataFrame, np.ndarray],
) -> tuple[Any, np.ndarray]:
    m = clone(model).fit(train[0][cols], train[1], valid=(valid[0][cols], valid[1]))
    return m, m.predict(valid[0][cols])


def gate_errors(
    model: Any,
    data: list[tuple[Any, Any, np.ndarray]],
    n_clusters: int,
    bar: Any = None,
    seed: int = 0,
) -> Callable[[list[Scenario]], list[np.ndarray]]:
    """The ``errors`` callable of :func:`~pullcast.forecast.gate.gate_channels` over the folds ``data``.

    Each distinct column set of a call is trained once per fold; its scenarios are scored on the fold's
    held-out rows, the scrambled columns permuted together (seeded by ``seed`` and the fold). The fits
    run one after the other, each on LightGBM's own threads: LightGBM fits run side by side on Python
    threads crashed the process now and then (a segmentation fault seen in the benchmark gate), and on
    two cores they saved only 8% of the README example's fit.
    """

    def one(cols: tuple[str, ...], fold: int, scrambles: list[tuple[str, ...]]) -> list[np.ndarray]:
        fold_tr, fold_va, g = data[fold]
        X_va, y_va = fold_va[0][list(cols)], fold_va[1]
        m = clone(model).fit(fold_tr[0][list(cols)], fold_tr[1], valid=(X_va, y_va))
        errs = [scrambled_errors(m.predict, X_va, y_va, s, (seed, fold)) for s in scrambles]
        return [np.bincount(g, weights=e, minlength=n_clusters) for e in errs]

    def errors(scenarios: list[Scenario]) -> list[np.ndarray]:
        by_cols = group_scenarios(scenarios)
        tasks = [(cols, k, scr) for cols, scr in by_cols.items() for k in range(len(data))]
        parts = [one(*t) for t in tasks]
        if bar is not None:
            bar.update(len(by_cols))
        summed: dict[Scenario, np.ndarray] = {}
        for (cols, _, scr), res in zip(tasks, parts, strict=True):
            for scrambled, e in zip(scr, res, strict=True):
                key = (cols, scrambled)
                summed[key] = summed[key] + e if key in summed else e
        return [summed[(tuple(cols), tuple(scrambled))] for cols, scrambled in scenarios]

    return errors


def gate_clusters(ids: pd.DataFrame, stores: pd.DataFrame | None) -> np.ndarray:
    """The gate's clusters of series (independent units of evidence), one code per row of ``ids``.

    By SKU when there are at least :data:`GATE_MIN_CLUSTERS` SKUs: a SKU-level channel moves all of a
    SKU's stores together. With fewer SKUs (one product sold in many stores, say), by SKU and region when
    ``stores`` maps stores to regions (a region-level channel moves a region's stores together), else
    by series.
    """
    sku = ids["sku"].astype(str).to_numpy()
    if pd.unique(sku).size >= GATE_MIN_CLUSTERS:
        return pd.factorize(sku)[0]
    if stores is not None and "region" in stores.columns:
        region = ids[["store"]].merge(stores[["store", "region"]].drop_duplicates("store"), how="left")
        key = pd.Series(sku) + "|" + region["region"].astype(str).to_numpy()
        return pd.factorize(key)[0]
    return np.arange(len(ids))


def train(
    params: Mapping[str, Any],
    design: Design,
    hist: History,
    rng: np.random.Generator,
    clusters: np.ndarray | None = None,
) -> TrainResult:
    """Split, gate signals, fit the final model and calibrate its distribution.

    ``params`` are a Forecaster's constructor parameters (``get_params()``): train reads ``model``,
    ``seed``, ``horizon``, ``quantiles``, ``train_window``, ``max_rows``, ``signal_gate``,
    ``refit_final`` and ``verbose``.
    ``clusters`` are the gate's clusters of series (default None: :func:`gate_clusters` of the series
    without a stores map).
    """
    f = SimpleNamespace(**params)
    model = make_model(f.model, f.seed)
    horizon = int(f.horizon)
    coverage = central_coverage(tuple(f.quantiles))
    if is_baseline(model):
        return _train_baseline(model, design, hist, horizon, coverage, rng)
    if not np.nansum(hist.y) > 0:
        raise DataError(
            "every unit in the sales frame is zero (or unknown) over the training window: there is no "
            "demand to learn from; "
            "a series that never sells is forecast as zero by model='naive'"
        )
    last = int(hist.grid.size - 1)
    lo = 0 if f.train_window is None else max(0, last - int(f.train_window))
    cut = last - horizon - (VALID_ORIGINS - 1)
    if cut - lo <= horizon:
        raise ConfigError(
            f"not enough history: {last + 1} periods for horizon {horizon}; need more than "
            f"{2 * horizon + VALID_ORIGINS} (or a shorter horizon)"
        )
    hist = trim_history(hist, f.train_window, design.spec)
    gating = bool(hist.signals) and f.signal_gate is not None
    steps = 6 if gating else 3  # features, gate fits (no-signal, joint, kept set), held-out, final
    bar = tqdm(total=steps, desc="pullcast fit", disable=not f.verbose, leave=False)
    rolling = design.rolling(hist)
    bar.update(1)
    report = empty_report()
    p_tr, h_tr = sample_rows(
        hist, horizon, origin_range=(lo, cut - 1), max_target=cut, max_rows=f.max_rows, rng=rng
    )
    p_va, h_va = sample_rows(
        hist,
        horizon,
        origin_range=(cut, last - 1),
        max_target=last,
        max_rows=max(f.max_rows // 4, 1),
        rng=rng,
    )
    tr = (design.training_matrix(hist, p_tr, h_tr, rolling), hist.y[p_tr + h_tr])
    va = (design.training_matrix(hist, p_va, h_va, rolling), hist.y[p_va + h_va])
    all_cols = list(tr[0].columns)
    kept = list(hist.signals)
    if gating:
        gate_rng = rng.spawn(1)[0]  # the gate's own stream: its draws leave the final fit's rows unchanged
        if clusters is None:
            clusters = gate_clusters(design.static.frame, None)
        caps = (min(GATE_ROWS, f.max_rows), min(GATE_VALID_ROWS, f.max_rows))
        data = _gate_data(design, hist, rolling, (lo, last, horizon), clusters, caps, gate_rng)
        seed = int(gate_rng.integers(2**31))
        errors = gate_errors(clone(model).set_params(**GATE_FIT), data, int(clusters.max()) + 1, bar, seed)
        kept, report = gate_channels(
            list(hist.signals),
            all_cols,
            errors,
            gate=float(f.signal_gate),
            leads=design.leads,
            total_y=float(sum(np.abs(fold_va[1]).sum() for _, fold_va, _ in data)),
            silent=[c for c, v in hist.signals.items() if not _varies(v)],
        )
    dropped = tuple(f"sig_{c}_" for c in hist.signals if c not in kept)
    cols = [c for c in all_cols if not c.startswith(dropped)] if dropped else all_cols
    fitted, mu_va = _fit_eval(model, cols, tr, va)
    bar.update(1)
    kept_signals = {c: hist.signals[c] for c in kept}
    nowcast = fit_surprise(hist, kept_signals, p_va, h_va, va[1], mu_va, horizon) if kept_signals else None
    series_va = hist.series_of(p_va)
    dist = fit_distribution(
        va[1],
        mu_va,
        series_va,
        hist.n_series,
        path_key=p_va * (horizon + 1) + h_va,
        coverage=coverage,
        rng=rng,
    )
    final = fitted
    if f.refit_final:
        p_all, h_all = sample_rows(
            hist, horizon, origin_range=(lo, last - 1), max_target=last, max_rows=f.max_rows, rng=rng
        )
        X_all = design.training_matrix(hist, p_all, h_all, rolling)[cols]
        final = clone(model).set_params(n_estimators=max(int(fitted.best_iteration_), 10))
        final.fit(X_all, hist.y[p_all + h_all])
    bar.update(1)
    bar.close()
    return TrainResult(replace(design, drop=dropped), final, dist, report, cols, nowcast)


def history_span(n_periods: int, train_window: int | None, spec: Any) -> int | None:
    """How many trailing periods :func:`train` reads of a history of ``n_periods`` grid periods: the
    last ``train_window`` origins and the ``spec.history`` periods their features look back on (None:
    all, when ``train_window`` is None)."""
    if train_window is None:
        return None
    return min(n_periods - 1, int(train_window)) + spec.history + 1


def trim_history(hist: History, train_window: int | None, spec: Any) -> History:
    """``hist`` cut to the periods :func:`train` reads (:func:`history_span`)."""
    span = history_span(int(hist.grid.size), train_window, spec)
    return hist if span is None else hist.tails(span)


def signal_surprise(
    signals: dict[str, np.ndarray], p: np.ndarray, nxt: dict[str, np.ndarray], indptr: np.ndarray
) -> np.ndarray:
    """Per row and channel, log1p(value on the day after the origin) - log1p(mean of the last 7 days)."""
    from pullcast.forecast.nowcast import log_surprise, recent_mean

    series = np.searchsorted(indptr, p, side="right") - 1
    out = np.empty((p.size, len(signals)))
    for j, (channel, values) in enumerate(signals.items()):
        prior = recent_mean(values, indptr)[series]
        out[:, j] = log_surprise(nxt[channel], prior)
    return out


def fit_surprise(
    hist: History,
    signals: dict[str, np.ndarray],
    p: np.ndarray,
    h: np.ndarray,
    y: np.ndarray,
    mu: np.ndarray,
    horizon: int,
) -> dict[str, list[float]]:
    """How much the day-after-origin signal moves demand beyond the forecast, per horizon and channel.

    On the held-out rows, the log-ratio of actual to forecast demand is regressed (ridge, no intercept)
    on the signal surprise of the day after the origin: the value that day against the trailing 7-day
    mean. The coefficients, one row per horizon, drive intraday nowcasts.
    """
    inside = p + 1 < hist.indptr[hist.series_of(p) + 1]
    p, h, y, mu = p[inside], h[inside], y[inside], mu[inside]
    nxt = {c: v[p + 1] for c, v in signals.items()}
    z = signal_surprise(signals, p, nxt, hist.indptr)
    r = np.log1p(y) - np.log1p(mu)
    coef = np.zeros((horizon, len(signals)))
    for k in range(1, horizon + 1):
        rows = (h == k) & np.isfinite(r) & np.isfinite(z).all(axis=1)
        if rows.sum() < 10 * len(signals):
            continue
        A, b = z[rows], r[rows]
        coef[k - 1] = np.linalg.solve(A.T @ A + 1.0 * np.eye(A.shape[1]), A.T @ b)
    return {c: coef[:, j].tolist() for j, c in enumerate(signals)}


def _train_baseline(
    model: Any, design: Design, hist: History, horizon: int, coverage: float | None, rng: np.random.Generator
) -> TrainResult:
    last = int(hist.grid.size - 1)
    cut = last - horizon
    past = hist.until(cut)
    fitted = clone(model).fit(past.y, past.indptr)
    mu = np.asarray(fitted.predict(horizon), dtype=np.float64)
    ends = hist.indptr[:-1] + (cut - hist.start_pos) + 1  # flat position of cut + 1 in each series
    series = np.repeat(np.arange(hist.n_series), horizon)
    q = np.repeat(ends, horizon) + np.tile(np.arange(horizon), hist.n_series)
    inside = (q >= np.repeat(hist.indptr[:-1], horizon)) & (q < np.repeat(hist.indptr[1:], horizon))
    y = np.full(q.size, np.nan)
    y[inside] = hist.y[q[inside]]
    ok = ~np.isnan(y) & ~np.isnan(mu.reshape(-1))
    key = series * (horizon + 1) + np.tile(np.arange(1, horizon + 1), hist.n_series)
    dist = fit_distribution(
        y[ok], mu.reshape(-1)[ok], series[ok], hist.n_series, path_key=key[ok], coverage=coverage, rng=rng
    )
    final = clone(model).fit(hist.y, hist.indptr)
    return TrainResult(design, final, dist, empty_report(), [])


def _varies(values: np.ndarray) -> bool:
    """Whether an aligned channel carries anything: finite somewhere and not one constant."""
    finite = values[np.isfinite(values)]
    return bool(finite.size > 1 and finite.min() < finite.max())


def _gate_data(
    design: Design,
    hist: History,
    rolling: dict[str, np.ndarray],
    span: tuple[int, int, int],
    clusters: np.ndarray,
    caps: tuple[int, int],
    rng: np.random.Generator,
) -> list[tuple[tuple[pd.DataFrame, np.ndarray], tuple[pd.DataFrame, np.ndarray], np.ndarray]]:
    """Per gate fold: training rows, held-out rows, and the cluster of every held-out row (at most
    ``caps`` = (training, held-out) rows)."""
    lo, last, horizon = span
    out = []
    for cut, end in gate_folds(last, horizon, lo, GATE_FOLDS, GATE_WIDTH):
        p_t, h_t = sample_rows(
            hist, horizon, origin_range=(lo, cut - 1), max_target=cut, max_rows=caps[0], rng=rng
        )
        p_v, h_v = sample_rows(
            hist,
            horizon,
            origin_range=(cut, end - 1),
            max_target=end,
            max_rows=caps[1],
            rng=rng,
        )
        fold_tr = (design.training_matrix(hist, p_t, h_t, rolling), hist.y[p_t + h_t])
        fold_va = (design.training_matrix(hist, p_v, h_v, rolling), hist.y[p_v + h_v])
        out.append((fold_tr, fold_va, clusters[hist.series_of(p_v)]))
    return out


def central_coverage(qs: tuple[float, ...]) -> float | None:
    """Nominal coverage of the widest central interval of quantile levels ``qs`` (None for one level)."""
    if len(qs) < 2:
        return None
    return max(qs) - min(qs)
