"""Point and quantile metrics against hand computations and plain-Python twins."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pullcast.columns import Columns
from pullcast.errors import ColumnError, DataError, ValueRangeError
from pullcast.metrics import bias, coverage, mae, pinball, quantile_columns, quantile_level, rmse, wape


def _frame(units, forecast, **extra):
    n = len(units)
    return pd.DataFrame(
        {
            "sku": [f"A{i % 2}" for i in range(n)],
            "store": ["s1"] * n,
            "date": pd.date_range("2024-01-01", periods=n),
            "units": np.asarray(units, dtype=float),
            "forecast": np.asarray(forecast, dtype=float),
            **{k: np.asarray(v, dtype=float) for k, v in extra.items()},
        }
    )


def test_hand_computed_point_metrics():
    cv = _frame([2, 0, 4], [1, 1, 5])
    # |errors| = 1, 1, 1; sum|y| = 6; errors forecast - actual = -1, +1, +1
    assert wape(cv) == pytest.approx(3 / 6)
    assert mae(cv) == pytest.approx(1.0)
    assert rmse(cv) == pytest.approx(1.0)
    assert bias(cv) == pytest.approx(1 / 3)
    cv2 = _frame([3, 1], [0, 1])
    assert rmse(cv2) == pytest.approx(math.sqrt(9 / 2))
    assert bias(cv2) == pytest.approx(-1.5)


def test_wape_all_zero_actuals_is_nan():
    assert math.isnan(wape(_frame([0, 0], [1, 2])))
    assert wape(_frame([1e-320, 0], [1e10, 0])) == math.inf


def test_pinball_hand():
    # q = 0.1: y=10, p=8 -> e=2 -> 0.1*2 = 0.2; y=5, p=7 -> e=-2 -> (0.1-1)*(-2) = 1.8; mean 1.0
    cv = _frame([10, 5], [0, 0], p10=[8, 7])
    assert pinball(cv, "p10") == pytest.approx(1.0)
    # q = 0.5 is half the absolute error
    cv = _frame([10, 5], [0, 0], p50=[8, 7])
    assert pinball(cv) == pytest.approx(0.5 * 2.0)


def test_coverage_hand():
    cv = _frame([1, 5, 9, 3], [0] * 4, p10=[0, 6, 2, 3], p90=[2, 8, 9, 4])
    # inside: 1 in [0,2] yes; 5 in [6,8] no; 9 in [2,9] yes (bound included); 3 in [3,4] yes
    assert coverage(cv) == pytest.approx(0.75)


def test_quantile_names():
    assert quantile_level("p2.5") == pytest.approx(0.025)
    assert quantile_level("p90") == pytest.approx(0.9)
    with pytest.raises(ColumnError):
        quantile_level("q90")
    cv = _frame([1], [1], p90=[1], p10=[1], p2_5=[1])
    assert quantile_columns(cv) == ["p10", "p90"]


def test_renamed_columns():
    cv = _frame([2, 0, 4], [1, 1, 5]).rename(columns={"units": "sales", "sku": "item"})
    assert wape(cv, columns=Columns(units="sales", sku="item")) == pytest.approx(0.5)


def test_missing_column_is_named():
    cv = _frame([1], [1]).drop(columns=["forecast"])
    with pytest.raises(ColumnError, match="forecast"):
        mae(cv)
    with pytest.raises(ColumnError, match="p90"):
        coverage(_frame([1], [1], p10=[0]))


def test_nan_actual_raises_naming_the_row():
    cv = _frame([1, np.nan], [1, 1])
    with pytest.raises(ValueRangeError, match="A1") as info:
        wape(cv)
    assert isinstance(info.value, DataError)
    with pytest.raises(ValueRangeError, match="forecast"):
        rmse(_frame([1, 2], [np.inf, 1]))


def test_empty_frame_raises():
    with pytest.raises(DataError):
        mae(_frame([], []))


values = st.lists(
    st.tuples(
        st.floats(0, 1e4, allow_nan=False),
        st.floats(0, 1e4, allow_nan=False),
        st.floats(0, 1e4, allow_nan=False),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(values, st.sampled_from([0.05, 0.1, 0.5, 0.9]))
def test_against_plain_python_twins(rows, q):
    y = [r[0] for r in rows]
    f = [r[1] for r in rows]
    lo = [min(r[1], r[2]) for r in rows]
    hi = [max(r[1], r[2]) for r in rows]
    name = "p" + f"{q * 100:g}"
    cv = _frame(y, f, **{name: f, "p1": lo, "p99": hi})
    n = len(y)
    abs_err = sum(abs(a - b) for a, b in zip(y, f, strict=True))
    total = sum(abs(a) for a in y)
    if total > 1e-9:
        assert wape(cv) == pytest.approx(abs_err / total, rel=1e-9, abs=1e-12)
    assert mae(cv) == pytest.approx(abs_err / n, rel=1e-9, abs=1e-9)
    sq = sum((a - b) ** 2 for a, b in zip(y, f, strict=True))
    assert rmse(cv) == pytest.approx(math.sqrt(sq / n), rel=1e-9, abs=1e-9)
    assert bias(cv) == pytest.approx(sum(b - a for a, b in zip(y, f, strict=True)) / n, rel=1e-9, abs=1e-9)
    loss = 0.0
    for a, b in zip(y, f, strict=True):
        loss += q * (a - b) if a >= b else (1 - q) * (b - a)
    assert pinball(cv, name) == pytest.approx(loss / n, rel=1e-9, abs=1e-9)
    inside = sum(1 for a, lo_, hi_ in zip(y, lo, hi, strict=True) if lo_ <= a <= hi_)
    assert coverage(cv, "p1", "p99") == pytest.approx(inside / n)
