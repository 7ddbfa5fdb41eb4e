"""Signal leads from per-partition sums: the same answer as ``signal_leads`` on the whole panel.

:func:`pullcast.signals.signal_leads` pools over series: for each lead L it needs the per-day sums of
products of the standardised differences, the two sums of squares and the pair count. Series never
span partitions, so each partition computes these sums for its series (with the same helpers) and the
client adds them up on the global day grid, then applies the same test and the rule of
``pullcast.forecast.training.discover_leads``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pullcast.forecast.training import LEAD_P_VALUE
from pullcast.panel import Panel
from pullcast.signals.leads import NO_LEAD, _lag_products, _long_run_variance, _standardised_diffs

__all__ = ["combine_leads", "lead_sums", "max_lead"]

_ALPHA = 0.05  # signal_leads' default significance level
_BANDWIDTH = 14  # and Newey-West bandwidth


def max_lead(horizon: int) -> int:
    """The largest lead tried for a horizon, as in ``discover_leads``."""
    return min(28, max(int(horizon), 1))


def lead_sums(panel: Panel, aligned: dict[str, np.ndarray], horizon: int) -> dict[str, dict[str, Any]]:
    """Per channel and lead: per-day product sums (on this partition's grid), sums of squares, counts."""
    total = int(panel.indptr[-1])
    series = panel.series_codes()
    pos = np.arange(total, dtype=np.int64) - panel.indptr[series]
    day = panel.dates.positions()
    n_days = len(panel.dates.grid)
    zy = _standardised_diffs(np.asarray(panel.values(), dtype=np.float64), pos, series, panel.n_series)
    out: dict[str, dict[str, Any]] = {}
    lags = max_lead(horizon) + 1
    for name, arr in aligned.items():
        zx = _standardised_diffs(np.asarray(arr, dtype=np.float64), pos, series, panel.n_series)
        both = np.isfinite(zx) & np.isfinite(zy)
        per_day = np.zeros((lags, n_days))
        sq = np.zeros((lags, 3))
        for lag in range(lags):
            per_day[lag], saa, sbb, n = _lag_products(zx, zy, pos, day, n_days, lag)
            sq[lag] = (saa, sbb, n)
        out[name] = {"per_day": per_day, "sq": sq, "n_series": int(np.unique(series[both]).size)}
    return out


def combine_leads(parts: list[tuple[int, dict[str, dict[str, Any]]]], n_days: int) -> dict[str, int]:
    """Leads of every channel from ``(grid offset, lead_sums)`` of each partition."""
    from scipy import stats
    from statsmodels.stats.multitest import multipletests

    channels = sorted({c for _, sums in parts for c in sums})
    leads: dict[str, int] = {}
    for name in channels:
        per_day, sq, n_series = None, None, 0
        for offset, sums in parts:
            if name not in sums:
                continue
            s = sums[name]
            if per_day is None:
                per_day = np.zeros((s["per_day"].shape[0], n_days))
                sq = np.zeros_like(s["sq"])
            per_day[:, offset : offset + s["per_day"].shape[1]] += s["per_day"]
            sq += s["sq"]
            n_series += s["n_series"]
        assert per_day is not None and sq is not None
        r = np.zeros(per_day.shape[0])
        z = np.full(per_day.shape[0], -np.inf)
        for lag in range(per_day.shape[0]):
            saa, sbb, n = sq[lag]
            if n < 3 or saa <= 0 or sbb <= 0:
                continue
            total_ab = float(per_day[lag].sum())
            r[lag] = total_ab / np.sqrt(saa * sbb)
            var = _long_run_variance(per_day[lag], _BANDWIDTH)
            if var > 0:
                z[lag] = total_ab / np.sqrt(var)
        if n_series == 0 or not np.isfinite(z).any():
            leads[name] = 0
            continue
        p_adj = multipletests(stats.norm.sf(z), method="bonferroni")[1]
        best = int(np.argmax(r))
        lead = best if p_adj[best] < _ALPHA else NO_LEAD
        leads[name] = lead if lead > 0 and float(p_adj[best]) < LEAD_P_VALUE else 0
    return leads
