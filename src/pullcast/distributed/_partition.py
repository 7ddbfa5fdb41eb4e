"""Worker-side work on one SKU partition: panel, signals, feature rows, local forecaster.

Every function here takes pandas objects of ONE partition (all stores of a set of SKUs) and runs on a
Dask worker. They reuse the single-machine building blocks unchanged (Panel, SignalStore, History,
Design, sample_rows, Forecaster); the only distributed-specific step is :func:`build_part`'s rebasing of
the partition's history onto the global date grid, so grid positions (training window, held-out cut)
mean the same thing in every partition.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from pullcast.columns import Columns
from pullcast.features import Design, History, StaticBlock, sample_rows
from pullcast.forecast import inputs, training
from pullcast.forecast.distribution import NBDistribution
from pullcast.forecast.fitted import FittedModel
from pullcast.forecast.forecaster import Forecaster
from pullcast.forecast.state import ForecastState
from pullcast.panel import Panel
from pullcast.signals import lead_statistics

__all__ = ["Part", "Prepared", "build_part", "local_forecaster", "prepare", "rows_with_keys", "unmatched"]

TARGET = "__target"


@dataclass
class Prepared:
    """A partition's panel and aligned signals, plus the small statistics the client aggregates."""

    panel: Panel
    aligned: dict[str, np.ndarray]
    stats: dict[str, Any] = field(default_factory=dict)
    store: Any = None


@dataclass
class Part:
    """A partition ready for training and prediction (lives on a worker)."""

    hist: History
    ids: pd.DataFrame
    design: Design
    frames: dict[str, pd.DataFrame]  # "tr", "va" (and "all" to refit): feature rows plus the TARGET column
    rows: dict[str, tuple[np.ndarray, np.ndarray]]  # (p, h) of each frame
    store: Any = None


def prepare(
    sales: pd.DataFrame,
    events: pd.DataFrame | None,
    *,
    params: dict[str, Any],
    stores: pd.DataFrame | None,
    channels: tuple[str, ...],
    requested: tuple[tuple[str, ...] | None, tuple[str, ...] | None],
) -> Prepared | None:
    """Build the panel and aligned signals of one partition (None for an empty partition).

    Parameters
    ----------
    sales, events : pandas.DataFrame
        The partition's rows, canonical column names (``events`` may be None or empty).
    params : dict
        The forecaster's parameters (``freq``, ``horizon``).
    stores : pandas.DataFrame or None
        The ``store, region`` map (small, broadcast to every partition).
    channels : tuple of str
        Every signal channel of the whole event frame: channels without events in this partition get
        the value an events-free day gets (0 for the default ``sum`` aggregation).
    requested : (tuple of str or None, tuple of str or None)
        ``FeatureSpec.static`` and ``FeatureSpec.covariates``.
    """
    if len(sales) == 0:
        return None
    sales = sales.reset_index(drop=True)
    panel = Panel.from_frame(sales, freq=params["freq"], dtype=np.float64)
    aligned: dict[str, np.ndarray] = {}
    store = None
    if channels:
        ev = None if events is None or len(events) == 0 else events.reset_index(drop=True)
        store = training.signal_store(ev, Columns(), stores) if ev is not None else None
        found = store.aligned(panel, stores=stores) if store is not None else {}
        size = int(panel.indptr[-1])
        aligned = {c: np.array(found[c]) if c in found else np.zeros(size) for c in channels}
    horizon = int(params["horizon"])
    leads = lead_statistics(panel, aligned, max_lead=training.max_lead(horizon)) if aligned else {}
    static = inputs.static_frame(panel, requested[0])
    extra = [c for c in static.columns if c not in ("sku", "store")]
    stats = {
        "n_values": int(panel.indptr[-1]),
        "n_series": panel.n_series,
        "first": panel.dates.grid[0],
        "last": panel.dates.grid[-1],
        "lead_sums": leads,
        "static": {c: sorted(static[c].astype(str).unique().tolist()) for c in static.columns},
        "static_extra": extra,
        "covariates": inputs.choose_covariates(panel, requested[1]),
    }
    return Prepared(panel, aligned, stats, store)


def unmatched(prep: Prepared | None, events: pd.DataFrame | None) -> tuple[int, int, list[Any]]:
    """Events of one partition whose SKU has no sales series in it: (count, total, up to 3 such SKUs).

    Partitions hold whole SKUs of both frames (hashed on the label), so such a SKU has no series in any
    partition.
    """
    if events is None or len(events) == 0:
        return 0, 0, []
    n = len(events)
    if prep is None or prep.store is None:
        return n, n, pd.unique(events["sku"])[:3].tolist()
    return training.unmatched_events(prep.store, prep.panel)


def stats_of(prep: Prepared | None) -> dict[str, Any] | None:
    """The small statistics of a prepared partition (what the client gathers)."""
    return None if prep is None else prep.stats


def build_part(
    prep: Prepared | None,
    *,
    design: Design,
    static_cols: tuple[str, ...],
    grid: pd.DatetimeIndex,
    params: dict[str, Any],
    max_rows: int,
    part_seed: tuple[int, int],
) -> Part | None:
    """History on the global grid, feature rows for training, validation and (with ``refit_final``)
    the final refit, as in ``pullcast.forecast.training``.

    Parameters
    ----------
    prep : Prepared or None
    design : Design
        The global design (spec, covariates, leads, static categories); its static frame is replaced by
        this partition's.
    static_cols : tuple of str
        The attribute columns static in every partition.
    grid : pandas.DatetimeIndex
        The global date grid (global first to last date).
    params : dict
        ``horizon``, ``train_window``, ``refit_final``.
    max_rows : int
        This partition's share of the forecaster's ``max_rows``.
    part_seed : (int, int)
        (seed, partition number) for row sampling.
    """
    if prep is None:
        return None
    panel = prep.panel
    hist = History.from_panel(panel, design.covariates, prep.aligned)
    offset = int(grid.get_loc(panel.dates.grid[0]))
    hist = replace(hist, grid=grid, start_pos=hist.start_pos + offset)
    static = inputs.static_frame(panel, None if not static_cols else static_cols)
    keep = ["sku", "store", *static_cols]
    local = replace(design, static=StaticBlock(static[keep], design.static.categories))
    horizon = int(params["horizon"])
    last = int(grid.size - 1)
    window = params["train_window"]
    lo = 0 if window is None else max(0, last - int(window))
    cut = last - horizon - (training.VALID_ORIGINS - 1)
    rng = np.random.default_rng(list(part_seed))
    rows = {
        "tr": sample_rows(
            hist, horizon, origin_range=(lo, cut - 1), max_target=cut, max_rows=max_rows, rng=rng
        ),
        "va": sample_rows(
            hist,
            horizon,
            origin_range=(cut, last - 1),
            max_target=last,
            max_rows=max(max_rows // 4, 1),
            rng=rng,
        ),
    }
    if params["refit_final"]:
        rows["all"] = sample_rows(
            hist, horizon, origin_range=(lo, last - 1), max_target=last, max_rows=max_rows, rng=rng
        )
    rolling = local.rolling(hist)
    frames = {}
    for name, (p, h) in rows.items():
        X = local.training_matrix(hist, p, h, rolling)
        X[TARGET] = hist.y[p + h]
        frames[name] = X
    return Part(hist, panel.ids.reset_index(drop=True), local, frames, rows, prep.store)


def frame_of(part: Part | None, name: str, columns: list[str], meta: pd.DataFrame) -> pd.DataFrame:
    """Feature rows ``name`` of a partition restricted to ``columns`` (+ target); ``meta`` when empty."""
    if part is None:
        return meta
    return part.frames[name][[*columns, TARGET]]


def n_rows(part: Part | None) -> dict[str, int]:
    """Row counts of a partition's frames."""
    if part is None:
        return {"tr": 0, "va": 0, "all": 0}
    return {k: len(v) for k, v in part.frames.items()}


def rows_with_keys(part: Part | None, name: str) -> pd.DataFrame:
    """A partition's feature rows with ``sku, store, origin`` (date) keys, for checks and inspection."""
    if part is None:
        return pd.DataFrame()
    p, _ = part.rows[name]
    series = part.hist.series_of(p)
    out = part.frames[name].copy()
    out.insert(0, "origin", part.hist.grid[part.hist.grid_pos(p)])
    out.insert(0, "store", part.ids["store"].to_numpy()[series])
    out.insert(0, "sku", part.ids["sku"].to_numpy()[series])
    return out


def drop_training_rows(part: Part | None) -> Part | None:
    """The partition without its training frames (after the model is fit), to free worker memory."""
    if part is None:
        return None
    keep = {"va": part.frames["va"]}
    return replace(part, frames=keep, rows={"va": part.rows["va"]})


def local_forecaster(
    part: Part | None,
    *,
    fitted: FittedModel,
    alpha: np.ndarray | None,
    stores: pd.DataFrame | None,
    params: dict[str, Any],
) -> Forecaster | None:
    """A fitted single-machine :class:`Forecaster` for the partition's series, sharing the global model.

    ``fitted`` is the global fitted value; the partition's copy gets the partition's design (its static
    attributes) and its series' dispersions ``alpha``. Prediction, quantiles, sample paths and cold
    starts then run through the very same code as on one machine.
    """
    if part is None or alpha is None:
        return None
    design = replace(part.design, drop=fitted.design.drop)
    dist = fitted.distribution
    fitted = replace(
        fitted, design=design, distribution=NBDistribution(alpha=alpha, rho=dist.rho, scale=dist.scale)
    )
    state = ForecastState(
        history=part.hist.tails(fitted.keep),
        ids=part.ids,
        static=design.static,
        signal_store=part.store,
        stores=stores,
    )
    return Forecaster.from_values(fitted, state, params)
