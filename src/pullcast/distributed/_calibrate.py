"""The negative-binomial distribution fitted from per-partition held-out sums.

:func:`pullcast.forecast.distribution.fit_distribution` needs, over all held-out rows: the pooled
dispersion (two sums), the shrinkage constant (the median of the per-series denominators), a coverage
scale (a grid search on at most 50,000 sampled rows) and the lag-1 correlation of the normal scores
(six sums). Each of these is computed here from small per-partition results, in three passes; the
per-series dispersions stay on the workers. The formulas are those of ``fit_distribution``; only the
sampling of the rows for the scale search differs (per partition, proportional to its rows).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

from pullcast.forecast.distribution import _ALPHA_MAX, _ALPHA_MIN, nb_cdf, search_scale

__all__ = [
    "alpha_of",
    "moments",
    "moment_summary",
    "pair_sums",
    "rho_from_sums",
    "scale_sample",
    "search_scale",
]

_SCALE_ROWS = 50_000


def moments(v: dict[str, np.ndarray] | None) -> dict[str, np.ndarray] | None:
    """Per-series method-of-moments numerator and denominator of the dispersion."""
    if v is None:
        return None
    n = int(v["n_series"][0])
    mu = np.maximum(v["mu"], 1e-9)
    num = np.bincount(v["series"], weights=(v["y"] - mu) ** 2 - mu, minlength=n)
    den = np.bincount(v["series"], weights=mu**2, minlength=n)
    return {"num": num, "den": den}


def moment_summary(m: dict[str, np.ndarray] | None) -> dict[str, Any] | None:
    """Partition totals and the positive denominators (one float per series) for the global median."""
    if m is None:
        return None
    den = m["den"]
    return {"num": float(m["num"].sum()), "den": float(den.sum()), "den_pos": den[den > 0]}


def alpha_of(
    m: dict[str, np.ndarray] | None, pooled: float, kappa: float, scale: float = 1.0
) -> np.ndarray | None:
    """Shrunken per-series dispersion (times the coverage scale), as in ``fit_distribution``."""
    if m is None:
        return None
    alpha = np.clip((m["num"] + kappa * pooled) / (m["den"] + kappa), _ALPHA_MIN, _ALPHA_MAX)
    return alpha if scale == 1.0 else np.clip(alpha * scale, _ALPHA_MIN, _ALPHA_MAX)


def scale_sample(
    v: dict[str, np.ndarray] | None, alpha: np.ndarray | None, share: float, seed: tuple[int, int]
) -> dict[str, np.ndarray] | None:
    """A random ``share`` of a partition's held-out rows (actual, mean, dispersion) for the scale search."""
    if v is None or alpha is None:
        return None
    rng = np.random.default_rng(list(seed))
    size = v["y"].size
    pick = rng.choice(size, min(size, int(np.ceil(size * share))), replace=False)
    return {"y": v["y"][pick], "mu": np.maximum(v["mu"][pick], 1e-9), "a": alpha[v["series"][pick]]}


def pair_sums(
    v: dict[str, np.ndarray] | None, alpha: np.ndarray | None, seed: tuple[int, int]
) -> np.ndarray | None:
    """Sums (n, Σx, Σy, Σx², Σy², Σxy) over consecutive-horizon pairs of randomised normal scores."""
    if v is None or alpha is None:
        return None
    rng = np.random.default_rng(list(seed))
    y, mu = v["y"], np.maximum(v["mu"], 1e-9)
    a = alpha[v["series"]]
    lower = nb_cdf(y - 1, mu, a)
    upper = nb_cdf(y, mu, a)
    u = np.clip(lower + rng.random(y.size) * (upper - lower), 1e-6, 1 - 1e-6)
    z = stats.norm.ppf(u)
    key = v["path_key"]
    order = np.argsort(key, kind="stable")
    keys, zs = key[order], z[order]
    nxt = np.searchsorted(keys, keys + 1)
    ok = (nxt < keys.size) & (keys[np.minimum(nxt, keys.size - 1)] == keys + 1)
    x, w = zs[ok], zs[nxt[ok]]
    return np.array([x.size, x.sum(), w.sum(), (x * x).sum(), (w * w).sum(), (x * w).sum()])


def rho_from_sums(sums: np.ndarray) -> float:
    """Pearson correlation from pair sums, clipped to [0, 0.99] (0 with 10 pairs or fewer)."""
    n, sx, sy, sxx, syy, sxy = (float(s) for s in sums)
    if n <= 10:
        return 0.0
    cov = sxy - sx * sy / n
    var = (sxx - sx * sx / n) * (syy - sy * sy / n)
    if var <= 0:
        return 0.0
    return float(np.clip(cov / np.sqrt(var), 0.0, 0.99))
