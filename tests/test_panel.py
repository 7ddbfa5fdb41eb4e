"""Panel: round trip, filling, dtypes, and every validation error of issue 2."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pullcast import Columns, Panel
from pullcast.errors import (
    ColumnError,
    DataError,
    DateError,
    DuplicateRowError,
    FrequencyError,
    PullcastError,
    ValueRangeError,
)


def _sales() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sku": ["b", "a", "a", "a", "b"],
            "store": ["s1", "s1", "s1", "s1", "s1"],
            "date": pd.to_datetime(["2024-01-02", "2024-01-01", "2024-01-04", "2024-01-02", "2024-01-05"]),
            "units": [1, 2, 3, 4, 5],
            "price": [1.5, 2.0, 2.0, 2.5, 1.0],
            "category": ["x", "y", "y", "y", "x"],
        }
    )


def test_from_frame_layout_and_fill_zero() -> None:
    p = Panel.from_frame(_sales())
    assert p.ids.to_dict("list") == {"sku": ["a", "b"], "store": ["s1", "s1"]}
    np.testing.assert_array_equal(p.indptr, [0, 4, 8])
    np.testing.assert_array_equal(p.values(), [2, 4, 0, 3, 1, 0, 0, 5])
    np.testing.assert_array_equal(p.filled, [0, 0, 1, 0, 0, 1, 1, 0])
    assert p.values().dtype == np.float32
    assert np.isnan(p.values("price")[2])
    assert list(p.dates.start) == list(pd.to_datetime(["2024-01-01", "2024-01-02"]))
    assert list(p.dates.end) == list(pd.to_datetime(["2024-01-04", "2024-01-05"]))
    flat = p.dates.flat()
    assert flat[3] == np.datetime64("2024-01-04") and flat[4] == np.datetime64("2024-01-02")


def test_fill_nan_keeps_missing_and_flags() -> None:
    sales = _sales()
    sales.loc[0, "units"] = np.nan
    p = Panel.from_frame(sales, fill_missing="nan", dtype=np.float64)
    vals = p.values()
    assert vals.dtype == np.float64
    assert np.isnan(vals[2]) and p.filled[2]
    assert np.isnan(vals[4]) and not p.filled[4]  # NaN given in the input, not filled


def test_round_trip_same_rows_sorted() -> None:
    sales = _sales()
    back = Panel.from_frame(sales).to_frame()
    expected = sales.sort_values(["sku", "store", "date"], ignore_index=True)
    pd.testing.assert_frame_equal(back, expected, check_dtype=False)
    assert back["units"].dtype == sales["units"].dtype


def test_include_filled_returns_full_grid() -> None:
    full = Panel.from_frame(_sales()).to_frame(include_filled=True)
    assert len(full) == 8
    assert full.loc[2, "units"] == 0


def test_renamed_columns() -> None:
    sales = _sales().rename(columns={"sku": "item_id", "store": "store_id", "date": "day", "units": "sold"})
    cols = Columns(sku="item_id", store="store_id", date="day", units="sold")
    p = Panel.from_frame(sales, columns=cols)
    assert list(p.ids.columns) == ["item_id", "store_id"]
    assert list(p.to_frame().columns[:4]) == ["item_id", "store_id", "day", "sold"]


def test_weekly_frequency_and_off_grid() -> None:
    dates = pd.date_range("2024-01-07", periods=4, freq="W-SUN")
    sales = pd.DataFrame({"sku": "a", "store": "s", "date": dates, "units": [1.0, 2.0, 3.0, 4.0]})
    p = Panel.from_frame(sales, freq="W-SUN")
    assert p.dates.lengths.tolist() == [4]
    sales.loc[2, "date"] = pd.Timestamp("2024-01-23")  # a Tuesday
    with pytest.raises(FrequencyError, match=r"not on the 'W-SUN' grid.*sku='a'"):
        Panel.from_frame(sales, freq="W-SUN")


def test_string_dates_are_parsed() -> None:
    sales = _sales()
    sales["date"] = sales["date"].dt.strftime("%Y-%m-%d")
    assert Panel.from_frame(sales).indptr[-1] == 8


@pytest.mark.parametrize(
    ("mutate", "error", "match"),
    [
        (lambda s: s.drop(columns="units"), ColumnError, r"missing required column\(s\) \['units'\]"),
        (lambda s: s.iloc[:0], DataError, "empty"),
        (lambda s: pd.concat([s, s.iloc[[1]]]), DuplicateRowError, r"duplicated rows.*sku='a'"),
        (
            lambda s: s.assign(date=["x", "2024-01-01", "2024-01-04", "2024-01-02", "2024-01-05"]),
            DateError,
            r"not dates.*sku='b'",
        ),
        (lambda s: s.assign(date=[1, 2, 3, 4, 5]), DateError, "numeric dtype"),
        (lambda s: s.assign(date=s["date"] + pd.Timedelta(hours=3)), FrequencyError, "times of day"),
        (lambda s: s.assign(units=["1", "2", "3", "4", "5"]), ColumnError, "must be numeric"),
        (lambda s: s.assign(units=[1, -2, 3, 4, 5]), ValueRangeError, r"negative.*sku='a', store='s1'"),
        (lambda s: s.assign(units=[1, 2, np.nan, 4, 5]), ValueRangeError, r"NaN.*fill_missing='nan'"),
        (lambda s: s.assign(units=[1, 2, np.inf, 4, 5]), ValueRangeError, "infinite"),
        (lambda s: s.assign(sku=["a", None, "a", "a", "b"]), DataError, "missing values"),
        (lambda s: s.assign(date=s["date"].dt.tz_localize("UTC")), DateError, "timezone"),
        (
            lambda s: s.assign(sku=pd.Series([1, "1", "1", "1", 1], dtype=object)),
            ColumnError,
            r"'sku' mixes label types: 1 \(number\), '1' \(text\)",
        ),
        (
            lambda s: s.assign(store=pd.Series(["s1", np.int64(2), "s1", "s1", "s1"], dtype=object)),
            ColumnError,
            "'store' mixes label types",
        ),
    ],
)
def test_validation_errors(mutate, error, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=match) as info:
        Panel.from_frame(mutate(_sales()))
    assert isinstance(info.value, PullcastError) and isinstance(info.value, ValueError)


def test_integer_and_text_labels_each_pass() -> None:
    """Only a mix is refused: integer ids, text ids and an object column of one kind all load."""
    for sku in ([2, 1, 1, 1, 2], ["2", "1", "1", "1", "2"], pd.Series([2, 1, 1, 1, 2], dtype=object)):
        panel = Panel.from_frame(_sales().assign(sku=sku))
        assert panel.n_series == 2


def test_weekly_dates_read_daily_warn_and_name_the_frequency() -> None:
    """Every date 7 days apart at freq="D" would fill 6 of 7 days: a FrequencyWarning (a
    PullcastWarning) says so and suggests the weekly frequency; the weekly read does not warn."""
    from pullcast.errors import FrequencyWarning, PullcastWarning

    dates = pd.date_range("2024-01-07", periods=10, freq="W-SUN")
    weekly = pd.DataFrame({"sku": "a", "store": "s", "date": dates, "units": range(10)})
    with pytest.warns(FrequencyWarning, match=r"multiple of 7 periods of freq='D'.*freq='W-SUN'") as rec:
        Panel.from_frame(weekly)
    assert issubclass(rec[0].category, PullcastWarning)
    assert Panel.from_frame(weekly, freq="W-SUN").n_series == 1  # -W error: no warning here
    off_rhythm = [*dates[:-1], dates[-1] + pd.Timedelta(days=1)]
    Panel.from_frame(weekly.assign(date=off_rhythm))  # one date off the weekly rhythm: daily data with gaps


def test_not_a_frame() -> None:
    with pytest.raises(DataError, match="DataFrame"):
        Panel.from_frame([1, 2, 3])  # type: ignore[arg-type]


def test_inf_rejected_even_with_nan_fill() -> None:
    with pytest.raises(ValueRangeError, match="infinite"):
        Panel.from_frame(_sales().assign(units=[1, 2, np.inf, 4, 5]), fill_missing="nan")


@st.composite
def _ragged_sales(draw: st.DrawFn) -> pd.DataFrame:
    n_series = draw(st.integers(1, 6))
    rows = []
    for i in range(n_series):
        start = draw(st.integers(0, 10))
        length = draw(st.integers(1, 15))
        gaps = draw(st.booleans())  # half the draws are complete series (the dense layout)
        keep = draw(st.lists(st.booleans(), min_size=length, max_size=length)) if gaps else [True] * length
        keep[0] = keep[-1] = True
        for t in range(length):
            if keep[t]:
                rows.append((f"sku{i % 3}", f"st{i}", start + t, draw(st.integers(0, 50))))
    frame = pd.DataFrame(rows, columns=["sku", "store", "day", "units"])
    frame["date"] = pd.Timestamp("2024-03-01") + pd.to_timedelta(frame.pop("day"), unit="D")
    perm = draw(st.permutations(range(len(frame))))
    return frame.iloc[list(perm)].reset_index(drop=True)


@pytest.mark.filterwarnings("ignore::pullcast.errors.FrequencyWarning")  # gappy draws may share a step
@settings(max_examples=60, deadline=None)
@given(_ragged_sales(), st.sampled_from([np.float32, np.float64]))
def test_round_trip_property(sales: pd.DataFrame, dtype: type) -> None:
    p = Panel.from_frame(sales, dtype=dtype)
    back = p.to_frame()
    expected = sales.sort_values(["sku", "store", "date"], ignore_index=True)[list(back.columns)]
    pd.testing.assert_frame_equal(back, expected, check_dtype=False)
    assert int(p.indptr[-1]) == int(p.dates.lengths.sum()) == p.values().size
    assert int((~p.filled).sum()) == len(sales)
    # every series is contiguous: the total of units is preserved
    assert float(p.values().sum()) == pytest.approx(float(sales["units"].sum()))
    # a sorted frame takes the no-sort path (and, without gaps, the no-scatter path): the same panel
    q = Panel.from_frame(sales.sort_values(["sku", "store", "date"]), dtype=dtype)
    np.testing.assert_array_equal(q.indptr, p.indptr)
    np.testing.assert_array_equal(q.filled, p.filled)
    np.testing.assert_array_equal(q.values(), p.values())
    pd.testing.assert_frame_equal(q.ids, p.ids)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_panel_arrays_are_not_views_of_the_input(dtype: type) -> None:
    # a sorted, complete frame takes the no-copy layout path: its arrays must still be the panel's own
    frame = pd.DataFrame(
        {
            "sku": ["a"] * 3,
            "store": ["s"] * 3,
            "date": pd.date_range("2024-01-01", periods=3),
            "units": np.array([1.0, 2.0, 3.0], dtype=dtype),
            "tag": ["x", "y", "z"],
        }
    )
    p = Panel.from_frame(frame, dtype=dtype)
    p.values()[0] = 99.0
    p._data["tag"][0] = "changed"
    assert frame["units"].tolist() == [1.0, 2.0, 3.0] and frame["tag"].tolist() == ["x", "y", "z"]
