"""Lead discovery: at which lead does a signal best anticipate sales, pooled across series?"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pullcast.base import is_whole
from pullcast.errors import ConfigError, DataError
from pullcast.panel import Panel

__all__ = ["NO_LEAD", "LeadStatistics", "lead_statistics", "leads_from_statistics", "signal_leads"]

#: ``lead_days`` of a channel with no significant lead.
NO_LEAD = -1
_MIN_OBS = 4


def _standardised_diffs(
    x: np.ndarray, pos: np.ndarray, series: np.ndarray, n_series: int, lag: int = 1
) -> np.ndarray:
    """Per-series differences at ``lag``, standardised per series (NaN where undefined or constant)."""
    d = np.full(x.size, np.nan)
    d[lag:] = x[lag:] - x[:-lag]
    d[pos < lag] = np.nan
    ok = np.isfinite(d)
    n = np.bincount(series[ok], minlength=n_series).astype(np.float64)
    s1 = np.bincount(series[ok], weights=d[ok], minlength=n_series)
    s2 = np.bincount(series[ok], weights=d[ok] ** 2, minlength=n_series)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s1 / n
        sd = np.sqrt(np.maximum(s2 / n - mean**2, 0.0))
    usable = (n >= _MIN_OBS) & (sd > 1e-12 * np.maximum(np.abs(mean), 1.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (d - mean[series]) / sd[series]
    z[~usable[series]] = np.nan
    return z


def _lag_products(
    a: np.ndarray, b: np.ndarray, pos: np.ndarray, day: np.ndarray, n_days: int, lag: int
) -> tuple[np.ndarray, float, float, float]:
    """Pairs (a[t - lag], b[t]) in the same series: per grid day the sum of products, and the pooled
    sums of a^2 and b^2 and the number of pairs."""
    if lag:
        a_l, b_t, p, d = a[:-lag], b[lag:], pos[lag:], day[lag:]
    else:
        a_l, b_t, p, d = a, b, pos, day
    ok = (p >= lag) & np.isfinite(a_l) & np.isfinite(b_t)
    x, y = a_l[ok], b_t[ok]
    per_day = np.bincount(d[ok], weights=x * y, minlength=n_days)
    return per_day, float(x @ x), float(y @ y), float(ok.sum())


def _long_run_variance(c: np.ndarray, bandwidth: int) -> float:
    """Newey-West (Bartlett-kernel) variance of the sum of ``c`` from its centred autocovariances:
    sum_t e_t^2 + 2 sum_k (1 - k / (bandwidth + 1)) sum_t e_t e_(t-k), with e = c - mean(c)."""
    c = c - c.mean()
    var = float(c @ c)
    for k in range(1, min(bandwidth, c.size - 1) + 1):
        var += 2.0 * (1.0 - k / (bandwidth + 1.0)) * float(c[k:] @ c[:-k])
    return max(var, 0.0)


def signal_leads(
    panel: Panel,
    aligned: Mapping[str, np.ndarray],
    *,
    max_lead: int = 28,
    alpha: float = 0.05,
    bandwidth: int = 14,
    diff_lag: int = 1,
) -> pd.DataFrame:
    """The lead (in days) at which each signal channel best anticipates sales, pooled over series.

    Both the sales (``panel.values()``) and each aligned signal are differenced within each
    series (``diff_lag`` 1: first differences, removing level and trend; 7: weekly differences,
    also removing day-of-week patterns) and standardised per series. For every lead
    L = 0..max_lead the pooled cross-correlation r(L) of signal(t - L) with sales(t) is computed over
    all series; the best lead is the L with the largest r. Its significance is a one-sided z-test of
    r > 0 on the pooled sum of products S(L) = sum_t c_t, where c_t sums the products of all series
    on grid day t: its variance is the Newey-West long-run variance of c_t (bandwidth
    ``bandwidth`` days; Newey and West, Econometrica 55(3), 1987). Clustering by day keeps a signal
    shared by many series (a regional index, a holiday) from counting as independent evidence per
    series, and the kernel covers autocorrelation across days. The max_lead + 1 p-values are
    Bonferroni-corrected (``statsmodels.stats.multitest.multipletests``) and the best lead's
    corrected p-value is reported.

    Parameters
    ----------
    panel : Panel
        The sales panel.
    aligned : mapping of str to ndarray
        Flat signal arrays aligned with ``panel.indptr`` (e.g. :meth:`SignalStore.aligned`).
    max_lead : int, default 28
        The largest lead tried, in days.
    alpha : float, default 0.05
        Significance level of the corrected test.
    bandwidth : int, default 14
        Days of autocorrelation allowed for in the variance of the daily sums.
    diff_lag : int, default 1
        The differencing lag (7 for data with a strong weekly pattern).

    Returns
    -------
    pandas.DataFrame
        One row per channel: ``channel``, ``lead_days`` (int; ``NO_LEAD`` = -1 when the best lead
        is not significant at ``alpha`` or the channel carries no variation), ``strength`` (r at
        the best lead), ``p_value`` (Bonferroni-corrected, 1.0 when untestable) and ``n_series``
        (series where both the signal and sales vary).

    Raises
    ------
    ConfigError
        On a negative ``max_lead`` or ``alpha`` outside (0, 1).
    DataError
        When an aligned array does not match the panel's length.
    """
    if not is_whole(max_lead, 0):
        raise ConfigError(f"max_lead must be an int >= 0, got {max_lead!r}")
    if not is_whole(bandwidth, 0):
        raise ConfigError(f"bandwidth must be an int >= 0, got {bandwidth!r}")
    if not is_whole(diff_lag, 1):
        raise ConfigError(f"diff_lag must be an int >= 1, got {diff_lag!r}")
    if not 0.0 < float(alpha) < 1.0:
        raise ConfigError(f"alpha must be strictly between 0 and 1, got {alpha!r}")
    sums = lead_statistics(panel, aligned, max_lead=int(max_lead), diff_lag=int(diff_lag))
    return leads_from_statistics(sums, alpha=alpha, bandwidth=int(bandwidth))


@dataclass(frozen=True)
class LeadStatistics:
    """What :func:`signal_leads` needs of one channel, as sums that add up across groups of series.

    Attributes
    ----------
    per_day : ndarray, shape (max_lead + 1, n_days)
        Per lead and grid day, the sum of products of the standardised signal (lagged) and sales.
    squares : ndarray, shape (max_lead + 1, 3)
        Per lead, the pooled sums of squares of the signal and of the sales, and the number of pairs.
    n_series : int
        Series where both the signal and sales vary.
    """

    per_day: np.ndarray
    squares: np.ndarray
    n_series: int

    @staticmethod
    def combine(parts: Sequence[tuple[int, LeadStatistics]], n_days: int) -> LeadStatistics:
        """The sum of ``(grid offset, statistics)`` of disjoint groups of series, on a grid of
        ``n_days`` days where each group's day 0 is day ``offset``."""
        per_day = np.zeros((parts[0][1].per_day.shape[0], n_days))
        squares = np.zeros_like(parts[0][1].squares)
        for offset, part in parts:
            per_day[:, offset : offset + part.per_day.shape[1]] += part.per_day
            squares += part.squares
        return LeadStatistics(per_day, squares, sum(part.n_series for _, part in parts))


def lead_statistics(
    panel: Panel, aligned: Mapping[str, np.ndarray], *, max_lead: int = 28, diff_lag: int = 1
) -> dict[str, LeadStatistics]:
    """Per channel, the sums behind :func:`signal_leads` over ``panel``'s series (see there).

    Series never mix, so groups of series (Dask partitions, say) can each compute theirs and
    :meth:`LeadStatistics.combine` them; :func:`leads_from_statistics` then gives the same table as
    :func:`signal_leads` on all the series at once.

    Raises
    ------
    DataError
        When an aligned array does not match the panel's length.
    """
    total = int(panel.indptr[-1])
    series = panel.series_codes()
    pos = np.arange(total, dtype=np.int64) - panel.indptr[series]
    day = panel.dates.positions()
    n_days = len(panel.dates.grid)
    y = np.asarray(panel.values(), dtype=np.float64)
    zy = _standardised_diffs(y, pos, series, panel.n_series, diff_lag)
    out = {}
    for name, arr in aligned.items():
        x = np.asarray(arr, dtype=np.float64)
        if x.shape != (total,):
            raise DataError(
                f"aligned signal {name!r} has shape {x.shape}; expected ({total},) to match the panel"
            )
        zx = _standardised_diffs(x, pos, series, panel.n_series, diff_lag)
        both = np.isfinite(zx) & np.isfinite(zy)
        per_day = np.zeros((max_lead + 1, n_days))
        squares = np.zeros((max_lead + 1, 3))
        for lag in range(max_lead + 1):
            per_day[lag], saa, sbb, n = _lag_products(zx, zy, pos, day, n_days, lag)
            squares[lag] = (saa, sbb, n)
        out[name] = LeadStatistics(per_day, squares, int(np.unique(series[both]).size))
    return out


def leads_from_statistics(
    statistics: Mapping[str, LeadStatistics], *, alpha: float = 0.05, bandwidth: int = 14
) -> pd.DataFrame:
    """The table of :func:`signal_leads` from (combined) :func:`lead_statistics`."""
    from scipy import stats
    from statsmodels.stats.multitest import multipletests

    rows = []
    for name, st in statistics.items():
        n_lags = st.per_day.shape[0]
        r = np.zeros(n_lags)
        z = np.full(n_lags, -np.inf)
        for lag in range(n_lags):
            saa, sbb, n = st.squares[lag]
            if n < 3 or saa <= 0 or sbb <= 0:
                continue
            total_ab = float(st.per_day[lag].sum())
            r[lag] = total_ab / np.sqrt(saa * sbb)
            var = _long_run_variance(st.per_day[lag], bandwidth)
            if var > 0:
                z[lag] = total_ab / np.sqrt(var)
        if st.n_series == 0 or not np.isfinite(z).any():
            rows.append((name, NO_LEAD, float("nan"), 1.0, st.n_series))
            continue
        p_adj = multipletests(stats.norm.sf(z), method="bonferroni")[1]
        best = int(np.argmax(r))
        lead = best if p_adj[best] < alpha else NO_LEAD
        rows.append((name, lead, float(r[best]), float(p_adj[best]), st.n_series))
    return pd.DataFrame(rows, columns=["channel", "lead_days", "strength", "p_value", "n_series"]).astype(
        {"lead_days": np.int64, "n_series": np.int64}
    )
