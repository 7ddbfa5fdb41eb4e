"""sample_rows against a row-by-row reference twin: every valid (origin, horizon) pair, once."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pullcast.features import History, sample_rows
from pullcast.panel import Panel


def _reference(hist: History, horizon: int, lo: int, hi: int, max_target: int) -> set[tuple[int, int]]:
    out = set()
    for s in range(hist.n_series):
        start, end = int(hist.indptr[s]), int(hist.indptr[s + 1])
        for q in range(start, end):
            g = int(hist.start_pos[s]) + q - start  # grid position of flat position q
            if not lo <= g <= hi:
                continue
            for h in range(1, horizon + 1):
                if q + h < end and g + h <= max_target and not np.isnan(hist.y[q + h]):
                    out.add((q, h))
    return out


def _history(seed: int, n_series: int, n_days: int) -> History:
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(n_series):
        start = int(rng.integers(0, n_days // 2))  # ragged starts
        days = pd.date_range("2024-01-01", periods=n_days - start, freq="D") + pd.Timedelta(days=start)
        units = rng.poisson(2.0, days.size).astype(float)
        units[rng.random(days.size) < 0.15] = np.nan  # censored days
        frames.append(pd.DataFrame({"sku": f"s{i}", "store": "a", "date": days, "units": units}))
    return History.from_panel(Panel.from_frame(pd.concat(frames), dtype=np.float64, fill_missing="nan"), ())


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    horizon=st.integers(1, 9),
    lo=st.integers(0, 20),
    width=st.integers(1, 40),
    back=st.integers(0, 5),
)
def test_all_rows_match_the_reference(seed: int, horizon: int, lo: int, width: int, back: int) -> None:
    hist = _history(seed, n_series=4, n_days=50)
    last = int(hist.grid.size - 1)
    hi, max_target = min(lo + width, last), last - back
    p, h = sample_rows(
        hist,
        horizon,
        origin_range=(lo, hi),
        max_target=max_target,
        max_rows=None,
        rng=np.random.default_rng(0),
    )
    got = list(zip(p.tolist(), h.tolist(), strict=True))
    assert len(got) == len(set(got))
    assert set(got) == _reference(hist, horizon, lo, hi, max_target)
    assert np.all(np.diff(h) >= 0)  # horizon by horizon


def test_sampling_keeps_the_same_share_at_every_horizon() -> None:
    hist = _history(1, n_series=40, n_days=400)
    last = int(hist.grid.size - 1)
    full = sample_rows(
        hist, 7, origin_range=(0, last - 1), max_target=last, max_rows=None, rng=np.random.default_rng(0)
    )
    p, h = sample_rows(
        hist, 7, origin_range=(0, last - 1), max_target=last, max_rows=3000, rng=np.random.default_rng(0)
    )
    assert abs(p.size - 3000) < 4 * np.sqrt(3000)
    share = np.bincount(h, minlength=8)[1:] / np.bincount(full[1], minlength=8)[1:]
    np.testing.assert_allclose(share, 3000 / full[0].size, rtol=0.25)
    assert set(zip(p.tolist(), h.tolist(), strict=True)) <= set(zip(*(a.tolist() for a in full), strict=True))
    with pytest.raises(Exception, match="horizon"):
        sample_rows(
            hist, 0, origin_range=(0, 5), max_target=last, max_rows=None, rng=np.random.default_rng(0)
        )
