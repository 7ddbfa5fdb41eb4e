"""Predictive distributions around a point forecast: calibrated negative binomial marginals joined
by a Gaussian copula with AR(1) correlation across the horizon.

Demand for series i at horizon h is NB with mean ``mu`` and variance ``mu + alpha_i * mu**2``. The
dispersion ``alpha_i`` is estimated from held-out residuals (method of moments, shrunk towards the
pooled value), then scaled by one factor so that the central interval of the requested quantiles
covers its nominal share of held-out actuals. Day-to-day dependence is the lag-1 correlation of the
held-out normal scores (randomised PIT), so sums over lead times get the right spread.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
from scipy import stats

from pullcast.kernels._jit import jit, jit_parallel

__all__ = ["NBDistribution", "fit_distribution", "nb_cdf", "nb_inverse", "search_scale"]

_ALPHA_MIN, _ALPHA_MAX = 1e-3, 50.0
_NORMAL_ABOVE = 2000.0  # above this mean the NB is replaced by its normal approximation


@jit
def _nb_inverse_one(mu: float, alpha: float, u: np.ndarray, out: np.ndarray) -> None:
    """Smallest integer x with F(x) >= u[j], for NB(mean mu, var mu + alpha mu^2), every j."""
    if not mu > 0.0:
        out[:] = 0.0
        return
    var = mu + alpha * mu * mu
    if mu > _NORMAL_ABOVE:
        sd = np.sqrt(var)
        for j in range(u.size):
            out[j] = max(0.0, np.round(mu + sd * _ndtri(u[j])))
        return
    r = 1.0 / alpha
    p = 1.0 / (1.0 + alpha * mu)
    umax = 0.0
    for j in range(u.size):
        umax = max(umax, u[j])
    cap = int(mu + 40.0 * np.sqrt(var) + 50.0)
    cdf = np.empty(cap + 1)
    pmf = np.exp(r * np.log(p))
    acc = pmf
    cdf[0] = acc
    n = 1
    k = 0
    while acc < umax and k < cap:
        pmf = pmf * (k + r) / (k + 1.0) * (1.0 - p)
        k += 1
        acc += pmf
        cdf[k] = acc
        n = k + 1
    for j in range(u.size):
        lo, hi = 0, n - 1
        if cdf[hi] < u[j]:
            out[j] = float(hi)
            continue
        while lo < hi:
            mid = (lo + hi) // 2
            if cdf[mid] >= u[j]:
                hi = mid
            else:
                lo = mid + 1
        out[j] = float(lo)


@jit
def _ndtri(u: float) -> float:
    # Acklam's rational approximation of the normal quantile (relative error < 1.2e-9).
    a = (
        -3.969683028665376e01,
        2.209460984245205e02,
        -2.759285104469687e02,
        1.383577518672690e02,
        -3.066479806614716e01,
        2.506628277459239e00,
    )
    b = (
        -5.447609879822406e01,
        1.615858368580409e02,
        -1.556989798598866e02,
        6.680131188771972e01,
        -1.328068155288572e01,
    )
    c = (
        -7.784894002430293e-03,
        -3.223964580411365e-01,
        -2.400758277161838e00,
        -2.549732539343734e00,
        4.374664141464968e00,
        2.938163982698783e00,
    )
    d = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00)
    u = min(max(u, 1e-12), 1.0 - 1e-12)
    if u < 0.02425:
        q = np.sqrt(-2.0 * np.log(u))
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / (
            (((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0
        )
    if u > 1.0 - 0.02425:
        q = np.sqrt(-2.0 * np.log(1.0 - u))
        return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / (
            (((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0
        )
    q = u - 0.5
    t = q * q
    return (
        (((((a[0] * t + a[1]) * t + a[2]) * t + a[3]) * t + a[4]) * t + a[5])
        * q
        / (((((b[0] * t + b[1]) * t + b[2]) * t + b[3]) * t + b[4]) * t + 1.0)
    )


@jit_parallel
def _nb_inverse_many(mu: np.ndarray, alpha: np.ndarray, u: np.ndarray, out: np.ndarray) -> None:
    for i in numba.prange(mu.size):
        _nb_inverse_one(mu[i], alpha[i], u[i], out[i])


def nb_inverse(mu: np.ndarray, alpha: np.ndarray, u: np.ndarray) -> np.ndarray:
    """NB quantiles: ``out[i, j]`` is the ``u[i, j]`` quantile of NB(``mu[i]``, ``alpha[i]``).

    ``u`` may be 1-D (the same levels for every row). Means above 2000 use the normal approximation.
    """
    mu = np.ascontiguousarray(mu, dtype=np.float64).ravel()
    alpha = np.ascontiguousarray(np.broadcast_to(alpha, mu.shape), dtype=np.float64)
    u = np.asarray(u, dtype=np.float64)
    if u.ndim == 1:
        u = np.broadcast_to(u, (mu.size, u.size))
    u = np.ascontiguousarray(u)
    out = np.empty(u.shape, dtype=np.float64)
    _nb_inverse_many(mu, alpha, u, out)
    return out


def nb_cdf(x: np.ndarray, mu: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """NB cumulative distribution ``P(Y <= x)`` (scipy; x may be -1, giving 0)."""
    mu = np.maximum(np.asarray(mu, dtype=np.float64), 1e-12)
    alpha = np.asarray(alpha, dtype=np.float64)
    r = 1.0 / alpha
    return np.asarray(stats.nbinom.cdf(x, r, r / (r + mu)))


@dataclass(frozen=True)
class NBDistribution:
    """Fitted dispersion per series and horizon correlation."""

    alpha: np.ndarray
    rho: float
    scale: float

    def alpha_of(self, series: np.ndarray) -> np.ndarray:
        """Dispersion of each series; series added after fitting (cold starts) get the median."""
        series = np.asarray(series)
        known = series < self.alpha.size
        out = np.full(series.shape, float(np.median(self.alpha)))
        out[known] = self.alpha[series[known]]
        return out

    def quantiles(self, mu: np.ndarray, series: np.ndarray, levels: tuple[float, ...]) -> np.ndarray:
        """Quantiles (rows x levels) of rows with means ``mu`` belonging to ``series``."""
        return nb_inverse(mu, self.alpha_of(series), np.asarray(levels, dtype=np.float64))

    def sample_paths(self, mu: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        """Paths (n_series, n, horizon) with NB marginals and AR(1) normal-copula dependence."""
        n_series, horizon = mu.shape
        z = np.empty((n_series, n, horizon))
        z[..., 0] = rng.standard_normal((n_series, n))
        step = np.sqrt(1.0 - self.rho**2)
        for h in range(1, horizon):
            z[..., h] = self.rho * z[..., h - 1] + step * rng.standard_normal((n_series, n))
        u = stats.norm.cdf(z)
        # rows = (series, horizon); levels = the n draws
        u_rows = np.ascontiguousarray(u.transpose(0, 2, 1).reshape(n_series * horizon, n))
        alpha_rows = np.repeat(self.alpha_of(np.arange(n_series)), horizon)
        draws = nb_inverse(mu.reshape(-1), alpha_rows, u_rows)
        return draws.reshape(n_series, horizon, n).transpose(0, 2, 1).astype(np.float32)


def search_scale(y: np.ndarray, mu: np.ndarray, alpha: np.ndarray, coverage: float) -> float:
    """The multiplier of the dispersions whose central interval covers closest to ``coverage``.

    Among equally close multipliers (a grid from 0.05 to 20) the one nearest 1 wins.
    """
    lo, hi = (1.0 - coverage) / 2.0, 1.0 - (1.0 - coverage) / 2.0
    best = (np.inf, 0.0)
    for m in np.geomspace(0.05, 20.0, 49):
        aa = np.clip(alpha * m, _ALPHA_MIN, _ALPHA_MAX)
        inside = (nb_cdf(y, mu, aa) >= lo) & (nb_cdf(y - 1, mu, aa) < hi)
        gap = abs(float(inside.mean()) - coverage)
        if gap < best[0] - 1e-9 or (abs(gap - best[0]) <= 1e-9 and abs(np.log(m)) < abs(np.log(best[1]))):
            best = (gap, float(m))
    return best[1]


def fit_distribution(
    y: np.ndarray,
    mu: np.ndarray,
    series: np.ndarray,
    n_series: int,
    *,
    path_key: np.ndarray,
    coverage: float | None,
    rng: np.random.Generator,
) -> NBDistribution:
    """Estimate per-series dispersion, a coverage scale and the horizon correlation.

    Parameters
    ----------
    y, mu : ndarray
        Held-out actuals and the point forecasts for them.
    series : ndarray of int
        Series number of every row.
    n_series : int
    path_key : ndarray of int
        ``origin_id * (H + 1) + h`` for every row, so consecutive horizons of one forecast pair up.
    coverage : float or None
        Nominal coverage of the central interval to calibrate to (e.g. 0.8 for p10..p90); None skips
        the scale calibration.
    rng : numpy.random.Generator
    """
    y = np.asarray(y, dtype=np.float64)
    mu = np.maximum(np.asarray(mu, dtype=np.float64), 1e-9)
    num = np.bincount(series, weights=(y - mu) ** 2 - mu, minlength=n_series)
    den = np.bincount(series, weights=mu**2, minlength=n_series)
    pooled = float(np.clip(num.sum() / max(den.sum(), 1e-12), _ALPHA_MIN, _ALPHA_MAX))
    kappa = float(np.median(den[den > 0])) if np.any(den > 0) else 1.0
    alpha = np.clip((num + kappa * pooled) / (den + kappa), _ALPHA_MIN, _ALPHA_MAX)

    scale = 1.0
    if coverage is not None and y.size:
        pick = rng.choice(y.size, min(y.size, 20_000), replace=False)
        scale = search_scale(y[pick], mu[pick], alpha[series[pick]], coverage)
        alpha = np.clip(alpha * scale, _ALPHA_MIN, _ALPHA_MAX)

    rho = 0.0
    if y.size > 2:
        a = alpha[series]
        lower = nb_cdf(y - 1, mu, a)
        upper = nb_cdf(y, mu, a)
        u = np.clip(lower + rng.random(y.size) * (upper - lower), 1e-6, 1 - 1e-6)
        z = stats.norm.ppf(u)
        order = np.argsort(path_key, kind="stable")
        keys, zs = path_key[order], z[order]
        nxt = np.searchsorted(keys, keys + 1)
        ok = (nxt < keys.size) & (keys[np.minimum(nxt, keys.size - 1)] == keys + 1)
        if ok.sum() > 10:
            rho = float(np.clip(np.corrcoef(zs[ok], zs[nxt[ok]])[0, 1], 0.0, 0.99))
    return NBDistribution(alpha=alpha, rho=rho, scale=scale)
