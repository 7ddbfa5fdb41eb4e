"""From a forecast, params and a date to per-series window samples and order targets.

Shared by :func:`propose_orders` and the forecast-driven replay of :func:`simulate`.

Lead-time demand
----------------
* Sample paths: per path, the sum of that path's days over the protection window (never sums of
  daily quantiles).
* A quantile frame only: a stated approximation — each day's demand is normal with mean
  ``forecast`` and standard deviation ``(p_hi - p_lo) / (2 z)`` from the widest symmetric quantile
  pair (p10/p90 gives ``z = 1.2816``; no quantiles: ``sqrt(forecast)``), days independent
  (``correlation="independent"``, variances add) or fully correlated (``"full"``, standard
  deviations add). The window sum is drawn by stratified sampling and truncated at zero.
* A lead-time pmf: each sample path gets a lead time by stratified sampling of the pmf,
  independent of its demand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from pullcast.columns import Columns
from pullcast.errors import ConfigError
from pullcast.replenish import _kernels as K
from pullcast.replenish._inputs import ForecastInput
from pullcast.replenish.policies import Newsvendor, OrderUpTo, Policy, SSPolicy

__all__ = ["Plan", "make_plan"]

Correlation = Literal["independent", "full"]
MODE_NAMES = np.array(["order_up_to", "fill_rate", "sS", "newsvendor"])


@dataclass
class Plan:
    """Per-series arrays for one order date (all aligned with the forecast ids)."""

    as_of: pd.Timestamp
    order_day: np.ndarray  # bool
    season_over: np.ndarray  # bool
    after_season: np.ndarray  # bool: an order today arrives after the season end
    lead: np.ndarray  # int64 typical lead time (fixed, or pmf median)
    review: np.ndarray  # int64
    window_days: np.ndarray  # int64 protection window length at the typical lead time
    truncated: np.ndarray  # bool: season end or shelf life cuts the window (newsvendor mode)
    trunc_by_life: np.ndarray  # bool
    mode: np.ndarray  # int: 0 order-up-to, 1 fill rate, 2 (s,S), 3 newsvendor
    ratio: np.ndarray
    batch: np.ndarray
    full: np.ndarray  # (n, P) window demand samples
    lead_sum: np.ndarray  # (n, P) lead-time demand samples


def _stratified(n: int, rng: np.random.Generator) -> np.ndarray:
    return (rng.permutation(n) + 0.5) / n


def _lead_matrix(par: pd.DataFrame, n_paths: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    fixed = par["lead_time"].to_numpy(np.float64).astype(np.int64)
    lead = np.repeat(fixed[:, None], n_paths, axis=1)
    typical = fixed.copy()
    u = _stratified(n_paths, rng)
    for i, pmf in enumerate(par["lead_time_pmf"]):
        if pmf is None:
            continue
        cum = np.cumsum(np.asarray(pmf, dtype=np.float64))
        lead[i] = np.minimum(np.searchsorted(cum, u - 1e-12), cum.size - 1)
        typical[i] = int(np.searchsorted(cum, 0.5 - 1e-12))
    return lead, typical


def _review(par: pd.DataFrame, as_of: pd.Timestamp) -> tuple[np.ndarray, np.ndarray]:
    review = par["review_period"].to_numpy(np.float64).astype(np.int64)
    masks = par["order_days_mask"].to_numpy(np.int64)
    order_day = np.ones(len(par), dtype=bool)
    wd = as_of.weekday()
    for i in np.flatnonzero(masks):
        m = int(masks[i])
        order_day[i] = bool(m >> wd & 1)
        review[i] = next(g for g in range(1, 8) if m >> ((wd + g) % 7) & 1)
    return review, order_day


def _season(par: pd.DataFrame, as_of: pd.Timestamp) -> np.ndarray:
    """Selling days left from as_of (inclusive) to the season end; a large number if none."""
    ends = pd.to_datetime(pd.Series(par["season_end"].to_numpy(object)), errors="coerce")
    days = ((ends - as_of) / pd.Timedelta(days=1)).to_numpy(np.float64) + 1.0
    return np.where(np.isfinite(days), days, 10**9).astype(np.int64)


def _normal_windows(
    fc: ForecastInput,
    offset: int,
    lead: np.ndarray,
    review: np.ndarray,
    trunc: np.ndarray,
    life: np.ndarray,
    correlation: Correlation,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    assert fc.mean is not None and fc.sd is not None
    n, p = lead.shape
    end = np.minimum(lead + review[:, None], trunc[:, None])
    end = np.where(life[:, None] > 0, np.minimum(end, lead + life[:, None]), end)
    end = np.maximum(end, 0)
    lend = np.minimum(lead, end)
    zero = np.zeros((n, 1))
    cm = np.concatenate([zero, np.cumsum(fc.mean[:, offset:], axis=1)], axis=1)
    spread = fc.sd[:, offset:] ** 2 if correlation == "independent" else fc.sd[:, offset:]
    cs = np.concatenate([zero, np.cumsum(spread, axis=1)], axis=1)
    rows = np.arange(n)[:, None]
    z1 = stats.norm.ppf(_stratified(p, rng))[None, :]
    m_lead, m_full = cm[rows, lend], cm[rows, end]
    if correlation == "independent":
        # the window sum is drawn stratified (exact normal quantiles); the lead-time part given it is
        # the conditional normal of a sum of independent normals
        z2 = stats.norm.ppf(_stratified(p, rng))[None, :]
        v_lead, v_full = cs[rows, lend], cs[rows, end]
        s_full = np.sqrt(v_full)
        with np.errstate(divide="ignore", invalid="ignore"):
            beta = np.where(v_full > 0, v_lead / s_full, 0.0)
            rest = np.where(v_full > 0, np.sqrt(np.maximum(v_lead - v_lead**2 / v_full, 0.0)), 0.0)
        d_full = m_full + s_full * z1
        d_lead = m_lead + beta * z1 + rest * z2
    else:
        d_lead = m_lead + cs[rows, lend] * z1
        d_full = m_full + cs[rows, end] * z1
    return np.maximum(d_full, 0.0), np.maximum(d_lead, 0.0)


def _ratios(
    policy: Policy, par: pd.DataFrame, plan_trunc: np.ndarray, by_life: np.ndarray, review: np.ndarray
):
    price = par["price"].to_numpy(np.float64)
    cost = par["unit_cost"].to_numpy(np.float64)
    salvage = np.where(by_life, 0.0, par["salvage"].to_numpy(np.float64))
    hold = par["holding_cost"].to_numpy(np.float64)
    under = price - cost + par["lost_sale_penalty"].to_numpy(np.float64)
    over_end = cost - salvage
    over_cycle = hold * review
    n = len(par)
    with np.errstate(divide="ignore", invalid="ignore"):
        cr_end = np.clip(np.where(under + over_end > 0, under / (under + over_end), 0.5), 1e-4, 1 - 1e-4)
        cr_cycle = np.clip(np.where(under + over_cycle > 0, under / (under + over_cycle), 0.5), 1e-4, 0.999)
    if isinstance(policy, OrderUpTo):
        mode = np.full(n, 1 if policy.service_type == "fill_rate" else 0)
        ratio = np.full(n, policy.service_level)
    elif isinstance(policy, SSPolicy):
        mode, ratio = np.full(n, 2), np.full(n, policy.service_level)
    elif isinstance(policy, Newsvendor):
        mode, ratio = np.full(n, 3), cr_cycle
    else:
        raise ConfigError(f"policy must be OrderUpTo, Newsvendor or SSPolicy, got {type(policy).__name__}")
    mode = np.where(plan_trunc, 3, mode)
    ratio = np.where(plan_trunc, cr_end, ratio)
    return mode.astype(np.int64), ratio.astype(np.float64)


def make_plan(
    fc: ForecastInput,
    par: pd.DataFrame,
    policy: Policy,
    *,
    as_of: pd.Timestamp,
    columns: Columns,
    correlation: Correlation = "independent",
    n_samples: int = 1000,
    seed: int = 0,
) -> Plan:
    """Window samples and targets of every series for an order placed at the start of ``as_of``."""
    offset = int((as_of - fc.dates[0]) / pd.Timedelta(days=1))
    if not 0 <= offset < fc.horizon:
        raise ConfigError(
            f"as_of {as_of.date()} is outside the forecast dates {fc.dates[0].date()}..{fc.dates[-1].date()}"
        )
    rng = np.random.default_rng(seed)
    n_paths = fc.paths.shape[1] if fc.paths is not None else int(n_samples)
    lead, typical = _lead_matrix(par, n_paths, rng)
    review, order_day = _review(par, as_of)
    season = _season(par, as_of)
    life = par["shelf_life"].to_numpy(np.float64).astype(np.int64)
    life_days = np.where(life > 0, typical + life, 10**9)
    window = np.minimum.reduce([typical + review, season, life_days])
    truncated = window < typical + review
    by_life = truncated & (life_days <= season)
    top_lead = lead.max(axis=1)  # the window end grows with the lead time
    need = offset + np.minimum.reduce([top_lead + review, season, np.where(life > 0, top_lead + life, 10**9)])
    short = need > fc.horizon
    if short.any():
        i = int(np.flatnonzero(short)[0])
        raise ConfigError(
            f"the forecast covers {fc.horizon - offset} days from {as_of.date()}, but the protection window "
            f"(lead time + review period) needs {int(need[i] - offset)} for (sku={fc.ids.iloc[i, 0]!r}, "
            f"store={fc.ids.iloc[i, 1]!r}) and {int(short.sum()) - 1} more SKU-stores"
        )
    trunc_arr = season.astype(np.int64)
    if fc.paths is not None:
        n = fc.paths.shape[0]
        full = np.empty((n, n_paths))
        lead_sum = np.empty((n, n_paths))
        paths = fc.paths if fc.paths.dtype in (np.float32, np.float64) else fc.paths.astype(np.float32)
        K.window_sums(paths, np.full(n, offset, np.int64), lead, review, trunc_arr, life, full, lead_sum)
    else:
        full, lead_sum = _normal_windows(fc, offset, lead, review, trunc_arr, life, correlation, rng)
    mode, ratio = _ratios(policy, par, truncated, by_life, review)
    batch = np.zeros(len(par))
    if isinstance(policy, SSPolicy):
        daily = full.mean(axis=1) / np.maximum(window, 1)
        batch = policy.cover_days * daily
    return Plan(
        as_of=as_of,
        order_day=order_day,
        season_over=season <= 0,
        after_season=(season <= typical) & (season > 0),
        lead=typical,
        review=review,
        window_days=np.maximum(window, 0),
        truncated=truncated,
        trunc_by_life=by_life,
        mode=mode,
        ratio=ratio,
        batch=batch,
        full=full,
        lead_sum=lead_sum,
    )


def run_decide(plan: Plan, ip: np.ndarray, stock: np.ndarray, par: pd.DataFrame) -> np.ndarray:
    """The (n, N_DECIDE) decision table of :func:`pullcast.replenish._kernels.decide`."""
    n = plan.full.shape[0]
    out = np.empty((n, K.N_DECIDE))
    kind = np.where(plan.mode == 3, 0, plan.mode).astype(np.int64)
    K.decide(
        plan.full, plan.lead_sum, plan.ratio, kind, plan.batch.astype(np.float64),
        ip.astype(np.float64), stock.astype(np.float64),
        par["case_pack"].to_numpy(np.float64), par["moq"].to_numpy(np.float64),
        par["shelf_capacity"].to_numpy(np.float64), out,
    )  # fmt: skip
    return out
