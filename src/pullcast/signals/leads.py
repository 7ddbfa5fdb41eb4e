"""Lead discovery: at which lead does a signal best anticipate sales, pooled across series?"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from pullcast.errors import ConfigError, DataError
from pullcast.panel import Panel

__all__ = ["NO_LEAD", "signal_leads"]

#: ``lead_days`` of a channel with no significant lead.
NO_LEAD = -1
_MIN_OBS = 4


def _standardised_diffs(x: np.ndarray, pos: np.ndarray, series: np.ndarray, n_series: int) -> np.ndarray:
    """Per-series first differences, standardised per series (NaN where undefined or constant)."""
    d = np.full(x.size, np.nan)
    d[1:] = x[1:] - x[:-1]
    d[pos == 0] = np.nan
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


def _lag_sums(a: np.ndarray, b: np.ndarray, pos: np.ndarray, lag: int) -> tuple[float, float, float, float]:
    """Pooled sums over pairs (a[t - lag], b[t]) in the same series: sum ab, sum a^2, sum b^2, n."""
    if lag:
        a_l, b_t, p = a[:-lag], b[lag:], pos[lag:]
    else:
        a_l, b_t, p = a, b, pos
    ok = (p >= lag) & np.isfinite(a_l) & np.isfinite(b_t)
    x, y = a_l[ok], b_t[ok]
    return float(x @ y), float(x @ x), float(y @ y), float(ok.sum())


def _acf(z: np.ndarray, pos: np.ndarray, max_lag: int) -> np.ndarray:
    out = np.zeros(max_lag + 1)
    for k in range(max_lag + 1):
        sab, saa, sbb, n = _lag_sums(z, z, pos, k)
        out[k] = sab / np.sqrt(saa * sbb) if saa > 0 and sbb > 0 else 0.0
    return out


def signal_leads(
    panel: Panel,
    aligned: Mapping[str, np.ndarray],
    *,
    max_lead: int = 28,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """The lead (in days) at which each signal channel best anticipates sales, pooled over series.

    Both the sales (``panel.values()``) and each aligned signal are first-differenced within
    each series (removing level and trend) and standardised per series. For every lead
    L = 0..max_lead the pooled cross-correlation r(L) of signal(t - L) with sales(t) is computed over
    all series; the best lead is the L with the largest r. Its significance is a one-sided test of
    r > 0 whose variance follows Bartlett's formula for the cross-correlation of two independent
    autocorrelated series, var r = (1/n) * sum_k acf_signal(k) * acf_sales(k) (Box and Jenkins,
    *Time Series Analysis*, 1976, section 11.1.3), so differenced or carried-forward signals are
    not over-credited. The p-values of the max_lead + 1 leads are Bonferroni-corrected
    (``statsmodels.stats.multitest.multipletests``) and the best lead's corrected p-value is reported.

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
    from scipy import stats
    from statsmodels.stats.multitest import multipletests

    if isinstance(max_lead, bool) or not isinstance(max_lead, (int, np.integer)) or max_lead < 0:
        raise ConfigError(f"max_lead must be an int >= 0, got {max_lead!r}")
    if not 0.0 < float(alpha) < 1.0:
        raise ConfigError(f"alpha must be strictly between 0 and 1, got {alpha!r}")
    total = int(panel.indptr[-1])
    series = panel.series_codes()
    pos = np.arange(total, dtype=np.int64) - panel.indptr[series]
    y = np.asarray(panel.values(), dtype=np.float64)
    zy = _standardised_diffs(y, pos, series, panel.n_series)
    acf_y = _acf(zy, pos, max_lead)
    rows = []
    for name, arr in aligned.items():
        x = np.asarray(arr, dtype=np.float64)
        if x.shape != (total,):
            raise DataError(
                f"aligned signal {name!r} has shape {x.shape}; expected ({total},) to match the panel"
            )
        zx = _standardised_diffs(x, pos, series, panel.n_series)
        both = np.isfinite(zx) & np.isfinite(zy)
        n_series = int(np.unique(series[both]).size)
        r = np.zeros(max_lead + 1)
        n = np.zeros(max_lead + 1)
        for lag in range(max_lead + 1):
            sab, saa, sbb, n[lag] = _lag_sums(zx, zy, pos, lag)
            r[lag] = sab / np.sqrt(saa * sbb) if saa > 0 and sbb > 0 else 0.0
        if n_series == 0 or not np.any(n > 2):
            rows.append((name, NO_LEAD, float("nan"), 1.0, n_series))
            continue
        acf_x = _acf(zx, pos, max_lead)
        bartlett = max(1.0 + 2.0 * float(acf_x[1:] @ acf_y[1:]), 1e-3)
        with np.errstate(invalid="ignore", divide="ignore"):
            z = r / np.sqrt(bartlett / np.maximum(n, 1.0))
        p_raw = np.where(n > 2, stats.norm.sf(z), 1.0)
        p_adj = multipletests(p_raw, method="bonferroni")[1]
        best = int(np.argmax(r))
        lead = best if p_adj[best] < alpha else NO_LEAD
        rows.append((name, lead, float(r[best]), float(p_adj[best]), n_series))
    return pd.DataFrame(rows, columns=["channel", "lead_days", "strength", "p_value", "n_series"]).astype(
        {"lead_days": np.int64, "n_series": np.int64}
    )
