"""Slow, obvious reference twins of the pullcast kernels, and the hypothesis panels they are compared on.

The pandas twins use ``groupby(series)`` on a flat Series; the signal kernels (which pandas does not
have) are plain NumPy loops written from their definitions. Every twin computes in float64 on the
float64 upcast of the data, so a float32 kernel result is compared with the exact float64 answer for
the same float32 inputs and may differ by its final rounding to float32 (``tolerance`` accounts for it).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import pullcast.kernels._common as kernels_common


@pytest.fixture(autouse=True, scope="module")
def parallel_drivers() -> Iterator[None]:
    """Run the parallel drivers (several chunks per thread) even on the small test inputs.

    The public functions run inputs under 200,000 values on one thread; the tests import this fixture
    so that the chunked parallel path is what they check.
    """
    before = kernels_common._SERIAL_BELOW
    kernels_common._SERIAL_BELOW = 0
    yield
    kernels_common._SERIAL_BELOW = before


# ---------------------------------------------------------------------------------------------------------
# hypothesis panels


@st.composite
def panels(
    draw: st.DrawFn, *, max_series: int = 6, max_len: int = 45, min_len: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """A ragged panel ``(data, indptr)``: float32 or float64, integer-like or 2-decimal values, NaN runs."""
    lengths = draw(st.lists(st.integers(min_len, max_len), min_size=1, max_size=max_series))
    n = int(sum(lengths))
    kind = draw(st.sampled_from(["counts", "decimals"]))
    if kind == "counts":
        values = draw(hnp.arrays(np.float64, n, elements=st.integers(0, 30).map(float)))
    else:
        values = draw(
            hnp.arrays(np.float64, n, elements=st.floats(-1000, 1000, allow_nan=False, allow_subnormal=False))
        )
        values = np.round(values, 2)
    for _ in range(draw(st.integers(0, 3))):
        if n == 0:
            break
        start = draw(st.integers(0, n - 1))
        values[start : start + draw(st.integers(1, 10))] = np.nan
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    indptr = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    return values.astype(dtype), indptr


def tolerance(data: np.ndarray, *, spread: bool = False) -> dict[str, float]:
    """``assert_allclose`` tolerances: 1e-6 relative, plus an absolute floor tied to the data's scale.

    float32 results are the float64 answer rounded once to float32 (relative error <= 6e-8, within
    1e-6). The absolute floor covers results near 0 computed as differences of large sums (means of
    mixed-sign data, or a std from shifted sums when ``spread``): 1e-12 (float64) / 1e-7 (float32) of
    the largest magnitude in the data, and 1e-9 of it for the std family, whose rounding error scales
    with the squared spread of the window over the std.
    """
    finite = np.abs(data[np.isfinite(data)].astype(np.float64))
    scale = float(finite.max()) if finite.size else 1.0
    scale = max(scale, 1.0)
    floor = 1e-7 if data.dtype == np.float32 else 1e-12
    if spread:
        floor = max(floor, 1e-9)
    return {"rtol": 1e-6, "atol": floor * scale}


def series_ids(indptr: np.ndarray) -> np.ndarray:
    return np.repeat(np.arange(indptr.size - 1), np.diff(indptr))


def _flat(result: pd.Series, n: int) -> np.ndarray:
    """Undo the group level that ``groupby(...).rolling/expanding/ewm`` puts in front of the index."""
    out = result.reset_index(level=0, drop=True).sort_index()
    arr = out.to_numpy(dtype=np.float64)
    assert arr.size == n
    return arr


def _grouped(data: np.ndarray, indptr: np.ndarray) -> tuple[pd.Series, np.ndarray]:
    return pd.Series(data.astype(np.float64)), series_ids(indptr)


# ---------------------------------------------------------------------------------------------------------
# pandas twins


def ref_lag(data: np.ndarray, indptr: np.ndarray, k: int) -> np.ndarray:
    s, g = _grouped(data, indptr)
    return s.groupby(g).shift(k).to_numpy(dtype=np.float64)


def ref_diff(data: np.ndarray, indptr: np.ndarray, k: int) -> np.ndarray:
    s, g = _grouped(data, indptr)
    return s.groupby(g).diff(k).to_numpy(dtype=np.float64)


def ref_rolling(
    data: np.ndarray,
    indptr: np.ndarray,
    stat: str,
    window: int,
    min_periods: int | None = None,
    *,
    lag: int = 0,
    q: float = 0.5,
) -> np.ndarray:
    """pandas ``groupby(series).rolling(window, min_periods).<stat>()`` after ``shift(lag)``."""
    s, g = _grouped(data, indptr)
    if lag:
        s = s.groupby(g).shift(lag)
    roll = s.groupby(g).rolling(window, min_periods=min_periods)
    res = roll.quantile(q) if stat == "quantile" else getattr(roll, stat)()
    return _flat(res, data.size)


def ref_seasonal_mean(
    data: np.ndarray, indptr: np.ndarray, season: int, window: int, min_periods: int | None = None
) -> np.ndarray:
    """pandas rolling mean over each residue class (position within series % season)."""
    s, g = _grouped(data, indptr)
    pos = s.groupby(g).cumcount().to_numpy()
    res = s.groupby([g, pos % season]).rolling(window, min_periods=min_periods).mean()
    return res.reset_index(level=[0, 1], drop=True).sort_index().to_numpy(dtype=np.float64)


def ref_expanding(data: np.ndarray, indptr: np.ndarray, stat: str) -> np.ndarray:
    s, g = _grouped(data, indptr)
    return _flat(getattr(s.groupby(g).expanding(), stat)(), data.size)


def ref_ewm(data: np.ndarray, indptr: np.ndarray, alpha: float) -> np.ndarray:
    s, g = _grouped(data, indptr)
    return _flat(s.groupby(g).ewm(alpha=alpha, adjust=False).mean(), data.size)


# ---------------------------------------------------------------------------------------------------------
# NumPy loop twins of the signal kernels, from their definitions


def _per_series(data: np.ndarray, indptr: np.ndarray, fn) -> np.ndarray:  # type: ignore[no-untyped-def]
    x = data.astype(np.float64)
    out = np.full(x.size, np.nan)
    for i in range(indptr.size - 1):
        a, b = indptr[i], indptr[i + 1]
        out[a:b] = fn(x[a:b])
    return out


def ref_decayed_sum(data: np.ndarray, indptr: np.ndarray, half_life: float) -> np.ndarray:
    d = 0.5 ** (1.0 / half_life)

    def one(x: np.ndarray) -> np.ndarray:
        out = np.full(x.size, np.nan)
        started = False
        s = 0.0
        for t, v in enumerate(x):
            if not started and math.isnan(v):
                continue
            started = True
            s = d * s + (0.0 if math.isnan(v) else v)
            out[t] = s
        return out

    return _per_series(data, indptr, one)


def _full_window_mean(x: np.ndarray, t: int, w: int) -> float:
    if t + 1 < w:
        return math.nan
    vals = x[t + 1 - w : t + 1]
    return math.nan if np.isnan(vals).any() else float(np.mean(vals))


def ref_momentum(data: np.ndarray, indptr: np.ndarray, short: int, long: int) -> np.ndarray:
    def one(x: np.ndarray) -> np.ndarray:
        out = np.full(x.size, np.nan)
        for t in range(x.size):
            num, den = _full_window_mean(x, t, short), _full_window_mean(x, t, long)
            if not math.isnan(den) and den != 0.0:
                out[t] = num / den
        return out

    return _per_series(data, indptr, one)


def ref_zscore(
    data: np.ndarray, indptr: np.ndarray, window: int, min_periods: int | None = None
) -> np.ndarray:
    minp = window if min_periods is None else min_periods

    def one(x: np.ndarray) -> np.ndarray:
        out = np.full(x.size, np.nan)
        for t in range(x.size):
            base = x[max(0, t - window) : t]
            base = base[~np.isnan(base)]
            if math.isnan(x[t]) or base.size < max(minp, 2):
                continue
            if np.all(base == base[0]):
                out[t] = 0.0 if x[t] == base[0] else math.nan
            else:
                out[t] = (x[t] - base.mean()) / base.std(ddof=1)
        return out

    return _per_series(data, indptr, one)


def ref_ratio(num: np.ndarray, den: np.ndarray, indptr: np.ndarray, window: int) -> np.ndarray:
    x, y = num.astype(np.float64), den.astype(np.float64)
    out = np.full(x.size, np.nan)
    for i in range(indptr.size - 1):
        a, b = indptr[i], indptr[i + 1]
        for t in range(a + window - 1, b):
            nv, dv = x[t + 1 - window : t + 1], y[t + 1 - window : t + 1]
            if np.isnan(nv).any() or np.isnan(dv).any() or dv.sum() == 0.0:
                continue
            out[t] = nv.sum() / dv.sum()
    return out


def last_values(full: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """The value at the last position of each series (NaN for empty series)."""
    out = np.full(indptr.size - 1, np.nan)
    nonempty = np.diff(indptr) > 0
    out[nonempty] = full[indptr[1:][nonempty] - 1]
    return out


def drop_last(data: np.ndarray, indptr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The panel without the newest value of each non-empty series."""
    lengths = np.diff(indptr)
    keep = np.ones(data.size, dtype=bool)
    keep[indptr[1:][lengths > 0] - 1] = False
    new_lengths = np.maximum(lengths - 1, 0)
    return data[keep], np.concatenate(([0], np.cumsum(new_lengths))).astype(np.int64)
