"""Plain-Python reference twins of the baseline models (slow and obvious, for oracle tests)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd


def observed(values: list[float]) -> list[float]:
    return [v for v in values if not math.isnan(v)]


def ses_level(xs: list[float], alpha: float) -> float:
    """SES level after all of ``xs``, initialised at the first value."""
    level = xs[0]
    for x in xs[1:]:
        level = alpha * x + (1 - alpha) * level
    return level


def croston_forecast(xs: list[float], alpha: float, factor: float) -> float:
    """Croston on observed values: SES of sizes over SES of intervals (first = periods to first demand)."""
    if not xs:
        return math.nan
    positions = [i for i, x in enumerate(xs) if x > 0]
    if not positions:
        return 0.0
    sizes = [xs[i] for i in positions]
    intervals = [positions[0] + 1] + [b - a for a, b in zip(positions, positions[1:], strict=False)]
    return factor * ses_level(sizes, alpha) / ses_level([float(i) for i in intervals], alpha)


def tsb_forecast(xs: list[float], alpha_d: float, alpha_p: float) -> float:
    if not xs:
        return math.nan
    sizes = [x for x in xs if x > 0]
    if not sizes:
        return 0.0
    prob = ses_level([1.0 if x != 0 else 0.0 for x in xs], alpha_p)
    return prob * ses_level(sizes, alpha_d)


def one_step(values: list[float], forecast) -> tuple[float, list[float]]:
    """(final forecast, fitted) where fitted[t] = forecast(observed values before t), NaN if none."""
    fitted = []
    for t in range(len(values)):
        before = observed(values[:t])
        fitted.append(forecast(before) if before else math.nan)
    return forecast(observed(values)), fitted


def golden_alpha(xs: list[float], lo: float, hi: float) -> float:
    def sse(alpha: float) -> float:
        f, total = xs[0], 0.0
        for i in range(1, len(xs)):
            f = alpha * xs[i - 1] + (1 - alpha) * f
            total += (xs[i] - f) ** 2
        return total

    g = (math.sqrt(5) - 1) / 2
    a, b = lo, hi
    c, d = b - g * (b - a), a + g * (b - a)
    fc, fd = sse(c), sse(d)
    for _ in range(200):
        if b - a < 1e-10:
            break
        if fc <= fd:
            b, d, fd = d, c, fc
            c = b - g * (b - a)
            fc = sse(c)
        else:
            a, c, fc = c, d, fd
            d = a + g * (b - a)
            fd = sse(d)
    return (a + b) / 2


def adida(values: list[float]) -> tuple[float, list[float]]:
    xs = observed(values)
    if not xs:
        return math.nan, [math.nan] * len(values)
    positions = [i for i, x in enumerate(xs) if x != 0]
    if not positions:
        fitted, seen = [], 0
        for v in values:
            fitted.append(0.0 if (not math.isnan(v) and seen > 0) else math.nan)
            seen += 0 if math.isnan(v) else 1
        return 0.0, fitted
    size = max(1, round((positions[-1] + 1) / len(positions)))  # Python round: half to even
    cut = len(xs) % size
    buckets = [sum(xs[cut + b * size : cut + (b + 1) * size]) for b in range((len(xs) - cut) // size)]
    alpha = golden_alpha(buckets, 0.1, 0.3)
    # forecasts of bucket b from buckets before it
    preds = [math.nan, buckets[0]]
    for b in range(2, len(buckets) + 1):
        preds.append(alpha * buckets[b - 1] + (1 - alpha) * preds[-1])
    fitted, j = [], 0
    for v in values:
        if math.isnan(v):
            fitted.append(math.nan)
            continue
        b = (j - cut) // size if j >= cut else -1
        fitted.append(preds[b] / size if b >= 1 else math.nan)
        j += 1
    return preds[len(buckets)] / size, fitted


def pandas_naive(values: list[float]) -> tuple[float, list[float]]:
    s = pd.Series(values, dtype=float)
    last = s.dropna()
    return (float(last.iloc[-1]) if len(last) else math.nan), s.ffill().shift(1).tolist()


def pandas_seasonal_naive(values: list[float], m: int, horizon: int) -> tuple[list[float], list[float]]:
    s = pd.Series(values, dtype=float)
    phase = np.arange(len(values)) % m
    fitted = s.groupby(phase).transform(lambda g: g.ffill().shift(1))
    out = []
    for h in range(horizon):
        target = (len(values) + h) % m
        same = s[(phase == target)].dropna()
        out.append(float(same.iloc[-1]) if len(same) else math.nan)
    return out, fitted.tolist()


def pandas_moving_average(values: list[float], window: int) -> tuple[float, list[float]]:
    s = pd.Series(values, dtype=float)
    fitted = s.shift(1).rolling(window, min_periods=1).mean()
    last = s.rolling(window, min_periods=1).mean()
    return (float(last.iloc[-1]) if len(s) else math.nan), fitted.tolist()
