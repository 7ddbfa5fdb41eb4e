"""One small adapter over the demand inputs the textbook functions accept.

A demand is a scipy.stats frozen distribution (continuous or discrete), an integer pmf array, or an
array of samples. Every adapter answers the same questions: ``cdf``, ``ppf`` (smallest x with
F(x) >= q), the first-order loss ``loss(x) = E[(D - x)+]`` and ``mean``. Closed forms are used
for the normal; discrete laws are held as a pmf on 0..n (tail mass below 1e-15 dropped); samples
are an empirical law.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import stats

from pullcast.errors import ConfigError

__all__ = ["Demand", "as_demand", "convolve_periods"]

_TAIL = 1e-15


class Demand:
    """Common interface (subclasses below)."""

    discrete: bool = False

    def mean(self) -> float:
        raise NotImplementedError

    def cdf(self, x: float) -> float:
        raise NotImplementedError

    def ppf(self, q: float) -> float:
        raise NotImplementedError

    def loss(self, x: float) -> float:
        """First-order loss ``E[(D - x)+]``."""
        raise NotImplementedError

    def complementary_loss(self, x: float) -> float:
        """``E[(x - D)+] = x - E[D] + E[(D - x)+]``."""
        return x - self.mean() + self.loss(x)


class NormalDemand(Demand):
    def __init__(self, mu: float, sigma: float) -> None:
        self.mu, self.sigma = float(mu), float(sigma)

    def mean(self) -> float:
        return self.mu

    def cdf(self, x: float) -> float:
        return float(stats.norm.cdf(x, self.mu, self.sigma)) if self.sigma > 0 else float(x >= self.mu)

    def ppf(self, q: float) -> float:
        return float(stats.norm.ppf(q, self.mu, self.sigma)) if self.sigma > 0 else self.mu

    def loss(self, x: float) -> float:
        if self.sigma <= 0:
            return max(self.mu - x, 0.0)
        z = (x - self.mu) / self.sigma
        return float(self.sigma * (stats.norm.pdf(z) - z * stats.norm.sf(z)))


class DiscreteDemand(Demand):
    """A law on the integers 0..n given by its pmf."""

    discrete = True

    def __init__(self, pmf: np.ndarray) -> None:
        pmf = np.asarray(pmf, dtype=np.float64)
        self.pmf = pmf
        self.cum = np.cumsum(pmf)
        self.sf = 1.0 - self.cum  # P(D > k)

    def mean(self) -> float:
        return float(np.dot(np.arange(self.pmf.size), self.pmf))

    def cdf(self, x: float) -> float:
        k = math.floor(x)
        if k < 0:
            return 0.0
        return float(self.cum[min(k, self.cum.size - 1)])

    def ppf(self, q: float) -> float:
        idx = int(np.searchsorted(self.cum, q - 1e-12, side="left"))
        return float(min(idx, self.pmf.size - 1))

    def loss(self, x: float) -> float:
        # E[(D - x)+] = sum_{k >= x} P(D > k) for integer x; linear in between.
        k = math.floor(x)
        if k < 0:
            return self.mean() - x
        if k >= self.sf.size:
            return 0.0
        tail = float(self.sf[k:].sum())
        return tail - (x - k) * float(self.sf[k])


class EmpiricalDemand(Demand):
    """The empirical law of a sample (each value weight 1/n)."""

    def __init__(self, samples: np.ndarray) -> None:
        s = np.sort(np.asarray(samples, dtype=np.float64).ravel())
        if s.size == 0 or not np.all(np.isfinite(s)):
            raise ConfigError(f"demand samples must be finite and non-empty, got {s.size} values")
        self.s = s
        self.discrete = bool(np.all(s == np.round(s)))

    def mean(self) -> float:
        return float(self.s.mean())

    def cdf(self, x: float) -> float:
        return float(np.searchsorted(self.s, x, side="right")) / self.s.size

    def ppf(self, q: float) -> float:
        k = max(int(math.ceil(q * self.s.size - 1e-9)) - 1, 0)
        return float(self.s[min(k, self.s.size - 1)])

    def loss(self, x: float) -> float:
        return float(np.maximum(self.s - x, 0.0).mean())


class ScipyContinuousDemand(Demand):
    """Any other frozen continuous scipy law, by numerical integration."""

    def __init__(self, dist: Any) -> None:
        self.dist = dist

    def mean(self) -> float:
        return float(self.dist.mean())

    def cdf(self, x: float) -> float:
        return float(self.dist.cdf(x))

    def ppf(self, q: float) -> float:
        return float(self.dist.ppf(q))

    def loss(self, x: float) -> float:
        from scipy import integrate

        hi = float(self.dist.ppf(1.0 - 1e-14))
        if x >= hi:
            return 0.0
        val, _ = integrate.quad(lambda t: float(self.dist.sf(t)), x, hi, limit=200)
        lo = float(self.dist.support()[0])
        if x < lo:
            val += lo - x
        return float(val)


def _discrete_pmf(dist: Any) -> np.ndarray:
    lo = int(dist.support()[0])
    if lo < 0:
        raise ConfigError(f"discrete demand must live on 0, 1, 2, ...; the support starts at {lo}")
    hi = int(dist.ppf(1.0 - _TAIL)) + 2
    return np.asarray(dist.pmf(np.arange(hi + 1)), dtype=np.float64)


def as_demand(demand: Any) -> Demand:
    """Wrap a frozen scipy law, a :class:`Demand`, or an array of samples."""
    if isinstance(demand, Demand):
        return demand
    dist = getattr(demand, "dist", None)
    if dist is not None and hasattr(demand, "ppf"):
        if isinstance(dist, stats.rv_discrete):
            return DiscreteDemand(_discrete_pmf(demand))
        if getattr(dist, "name", "") == "norm":
            return NormalDemand(float(demand.mean()), float(demand.std()))
        return ScipyContinuousDemand(demand)
    arr = np.asarray(demand, dtype=np.float64)
    if arr.ndim != 1:
        raise ConfigError(f"demand samples must be one-dimensional here, got shape {arr.shape}")
    return EmpiricalDemand(arr)


def convolve_periods(demand: Any, periods: int) -> Demand:
    """Demand over ``periods`` i.i.d. periods (exact for normal and discrete laws).

    A 2-D sample array ``(n_paths, horizon)`` is summed over its first ``periods`` columns.
    A 1-D sample array only describes a single period, so ``periods`` must then be 1.
    """
    if periods < 1:
        raise ConfigError(f"the protection window must be at least one period, got {periods}")
    arr = None if hasattr(demand, "ppf") or isinstance(demand, Demand) else np.asarray(demand, float)
    if arr is not None and arr.ndim == 2:
        if arr.shape[1] < periods:
            raise ConfigError(f"sample paths cover {arr.shape[1]} periods, the window needs {periods}")
        return EmpiricalDemand(arr[:, :periods].sum(axis=1))
    one = as_demand(demand)
    if periods == 1:
        return one
    if isinstance(one, NormalDemand):
        return NormalDemand(one.mu * periods, one.sigma * math.sqrt(periods))
    if isinstance(one, DiscreteDemand):
        out = np.array([1.0])
        for _ in range(periods):
            out = np.convolve(out, one.pmf)
            keep = np.flatnonzero(out > _TAIL * 1e-3)
            out = out[: int(keep[-1]) + 1] if keep.size else out[:1]
        return DiscreteDemand(out)
    raise ConfigError(
        "demand over several periods needs a normal or discrete law, or 2-D sample paths "
        f"(n_paths, horizon); got {type(demand).__name__}"
    )
