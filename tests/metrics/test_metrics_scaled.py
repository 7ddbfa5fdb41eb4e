"""MASE, RMSSE and WRMSSE against hand computations of their published definitions."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pullcast.errors import ConfigError, DataError, ValueRangeError
from pullcast.metrics import mase, rmsse, wrmsse


def _long(series: dict[str, list[float]], start: str, **cols) -> pd.DataFrame:
    parts = []
    for sku, ys in series.items():
        n = len(ys)
        part = pd.DataFrame(
            {
                "sku": sku,
                "store": "s1",
                "date": pd.date_range(start, periods=n),
                "units": np.asarray(ys, float),
            }
        )
        for name, values in cols.items():
            part[name] = np.asarray(values[sku], dtype=float)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


# Training history of two series over 2024-01-01..2024-01-05 (B starts a day later), forecasts for the
# next two days.
TRAIN = pd.concat(
    [
        _long({"A": [0, 0, 1, 3, 2]}, "2024-01-01"),
        _long({"B": [4, 4, 6, 5]}, "2024-01-02"),
    ],
    ignore_index=True,
)
CV = _long({"A": [2, 4], "B": [5, 7]}, "2024-01-06", forecast={"A": [3, 3], "B": [5, 5]})


def test_wrmsse_m5_definition_by_hand():
    """M5 Competitors' Guide (MOFC 2020), eqs. for RMSSE and WRMSSE; Makridakis et al. (2022), IJF 38(4).

    RMSSE_i = sqrt( (1/h) sum_{t=n+1}^{n+h} (Y_t - F_t)^2 / ((1/(n-1)) sum_{t=2}^{n} (Y_t - Y_{t-1})^2) ),
    the training sample starting at the first non-zero demand; WRMSSE = sum_i w_i RMSSE_i, sum w_i = 1.

    A: history after trimming leading zeros is 1, 3, 2: differences 2, -1, scale (4 + 1) / 2 = 2.5;
       errors 2-3 = -1, 4-3 = 1: mean squared error 1; RMSSE_A = sqrt(1 / 2.5) = sqrt(0.4).
    B: history 4, 4, 6, 5: differences 0, 2, -1, scale (0 + 4 + 1) / 3 = 5/3;
       errors 0, 2: mean squared error 2; RMSSE_B = sqrt(2 / (5/3)) = sqrt(1.2).
    Weights 3 (A) and 1 (B) renormalise to 0.75 and 0.25.
    """
    rmsse_a = math.sqrt(0.4)
    rmsse_b = math.sqrt(1.2)
    assert rmsse(CV, TRAIN) == pytest.approx((rmsse_a + rmsse_b) / 2, rel=1e-12)
    weights = pd.DataFrame({"sku": ["A", "B"], "store": ["s1", "s1"], "weight": [3.0, 1.0]})
    expected = 0.75 * rmsse_a + 0.25 * rmsse_b
    assert wrmsse(CV, TRAIN, weights) == pytest.approx(expected, rel=1e-12)
    series = pd.Series([3.0, 1.0], index=pd.MultiIndex.from_tuples([("A", "s1"), ("B", "s1")]))
    assert wrmsse(CV, TRAIN, series) == pytest.approx(expected, rel=1e-12)
    # weights of series not scored are ignored (renormalised over the series present)
    extra = pd.concat([weights, pd.DataFrame({"sku": ["Z"], "store": ["s1"], "weight": [100.0]})])
    assert wrmsse(CV, TRAIN, extra) == pytest.approx(expected, rel=1e-12)


def test_wrmsse_default_weights_are_recent_revenue():
    # last 28 periods cover the whole history here: A sells 0+0+1+3+2 = 6 units, B 4+4+6+5 = 19
    assert wrmsse(CV, TRAIN) == pytest.approx((6 * math.sqrt(0.4) + 19 * math.sqrt(1.2)) / 25, rel=1e-12)
    priced = TRAIN.assign(price=np.where(TRAIN["sku"] == "A", 2.0, 1.0))
    # revenue: A 12, B 19
    assert wrmsse(CV, priced) == pytest.approx((12 * math.sqrt(0.4) + 19 * math.sqrt(1.2)) / 31, rel=1e-12)


def test_mase_hand():
    """Hyndman and Koehler (2006): MASE = mean|e| / ((1/(n-m)) sum_{t=m+1}^{n} |y_t - y_{t-m}|)."""
    # A with no trimming: 0,0,1,3,2 -> |diffs| 0,1,2,1 -> scale 1; errors |-1|,|1| -> MASE_A = 1
    # B: 4,4,6,5 -> 0,2,1 -> scale 1; errors 0, 2 -> MASE_B = 1. Mean 1.
    assert mase(CV, TRAIN) == pytest.approx(1.0)
    # season 2: A |diffs| 1,3,1 -> 5/3 -> 1/(5/3)=0.6; B |6-4|,|5-4| -> 1.5 -> 1/1.5; mean
    assert mase(CV, TRAIN, season_length=2) == pytest.approx((0.6 + 1 / 1.5) / 2)


def test_scale_uses_history_up_to_each_cutoff():
    cv = CV.assign(cutoff=pd.Timestamp("2024-01-05"))
    later = _long({"A": [50, 0, 70]}, "2024-01-06")  # after the cutoff: must not change the scale
    padded = pd.concat([TRAIN, later], ignore_index=True)
    assert rmsse(cv, padded) == pytest.approx(rmsse(CV, TRAIN), rel=1e-12)


def test_two_cutoffs_average_windows():
    first = _long({"A": [2, 4], "B": [5, 7]}, "2024-01-06", forecast={"A": [3, 3], "B": [5, 5]})
    first["cutoff"] = pd.Timestamp("2024-01-05")
    # second window: cutoff 2024-01-06; A's history gains a 2 (diffs 2,-1,0 -> scale 5/3), B gains a 5
    # (diffs 0,2,-1,0 -> scale 5/4); one step each: A error 1 -> sqrt(1/(5/3)); B error 0 -> 0
    second = _long({"A": [4], "B": [7]}, "2024-01-07", forecast={"A": [3], "B": [7]})
    second["cutoff"] = pd.Timestamp("2024-01-06")
    cv = pd.concat([first, second], ignore_index=True)
    train = pd.concat([TRAIN, _long({"A": [2], "B": [5]}, "2024-01-06")], ignore_index=True)
    w1 = (math.sqrt(0.4) + math.sqrt(1.2)) / 2
    w2 = (math.sqrt(1 / (5 / 3)) + 0.0) / 2
    weights = pd.DataFrame({"sku": ["A", "B"], "store": ["s1", "s1"], "weight": [1.0, 1.0]})
    assert wrmsse(cv, train, weights) == pytest.approx((w1 + w2) / 2, rel=1e-12)
    # rmsse averages over (series, cutoff) pairs
    assert rmsse(cv, train) == pytest.approx((math.sqrt(0.4) + math.sqrt(1.2) + math.sqrt(0.6)) / 4)


def test_series_without_history_is_named():
    cv = pd.concat([CV, _long({"NEW": [1]}, "2024-01-06", forecast={"NEW": [1]})], ignore_index=True)
    with pytest.raises(DataError, match="NEW"):
        rmsse(cv, TRAIN)
    flat = _long({"A": [3, 3, 3]}, "2024-01-01")
    with pytest.raises(DataError, match="'A'"):
        mase(_long({"A": [3]}, "2024-01-04", forecast={"A": [2]}), flat)


def test_missing_train_and_bad_args():
    with pytest.raises(ConfigError):
        rmsse(CV, None)  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        mase(CV, TRAIN, season_length=0)
    with pytest.raises(ValueRangeError):
        wrmsse(CV, TRAIN, pd.DataFrame({"sku": ["A", "B"], "store": ["s1", "s1"], "weight": [-1.0, 1.0]}))
    with pytest.raises(DataError, match="no weight"):
        wrmsse(CV, TRAIN, pd.DataFrame({"sku": ["A"], "store": ["s1"], "weight": [1.0]}))


def _rmsse_twin(train: list[float], actual: list[float], fc: list[float]) -> float:
    start = next((i for i, v in enumerate(train) if v > 0), len(train))
    hist = train[start:]
    diffs = [(hist[t] - hist[t - 1]) ** 2 for t in range(1, len(hist))]
    scale = sum(diffs) / len(diffs)
    mse = sum((a - f) ** 2 for a, f in zip(actual, fc, strict=True)) / len(actual)
    return math.sqrt(mse / scale)


counts = st.lists(st.integers(0, 20), min_size=3, max_size=30)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(counts, counts), min_size=1, max_size=4), st.integers(1, 5))
def test_rmsse_against_python_twin(pairs, h):
    train_parts, cv_parts, expected, weights = [], [], [], []
    rng = np.random.default_rng(len(pairs) * 7 + h)
    for k, (hist, future) in enumerate(pairs):
        start = next((i for i, v in enumerate(hist) if v > 0), len(hist))
        trimmed = hist[start:]
        if len(trimmed) < 2 or len(set(trimmed)) < 2:
            hist = [1, *hist, 7]  # make sure the scale exists and is positive
        actual = (future * h)[:h]
        fc = list(rng.uniform(0, 10, h))
        sku = f"S{k}"
        train_parts.append(_long({sku: hist}, "2024-01-01"))
        end = pd.Timestamp("2024-01-01") + pd.Timedelta(days=len(hist))
        cv_parts.append(_long({sku: actual}, str(end.date()), forecast={sku: fc}))
        expected.append(_rmsse_twin([float(v) for v in hist], actual, fc))
        weights.append(float(k + 1))
    train = pd.concat(train_parts, ignore_index=True)
    cv = pd.concat(cv_parts, ignore_index=True)
    assert rmsse(cv, train) == pytest.approx(sum(expected) / len(expected), rel=1e-9)
    wf = pd.DataFrame({"sku": [f"S{k}" for k in range(len(pairs))], "store": "s1", "weight": weights})
    want = sum(w * r for w, r in zip(weights, expected, strict=True)) / sum(weights)
    assert wrmsse(cv, train, wf) == pytest.approx(want, rel=1e-9)
