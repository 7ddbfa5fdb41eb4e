"""propose_orders: validation, reasons, lead-time demand from sample paths, retail constraints."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from pullcast.columns import Columns
from pullcast.errors import ColumnError, DataError, DuplicateRowError, ValueRangeError
from pullcast.replenish import (
    ORDER_COLUMNS,
    Newsvendor,
    OrderUpTo,
    ReplenishParams,
    SamplePaths,
    SSPolicy,
    propose_orders,
)

DATES = pd.date_range("2024-03-04", periods=14)  # a Monday


def _frame(n: int = 3, mean: float = 5.0, lo: float = 2.0, hi: float = 8.0) -> pd.DataFrame:
    rows = [(f"s{i}", "x", d, mean, lo, mean, hi) for i in range(n) for d in DATES]
    return pd.DataFrame(rows, columns=["sku", "store", "date", "forecast", "p10", "p50", "p90"])


def _inv(n: int = 3, on_hand: float = 0.0) -> pd.DataFrame:
    return pd.DataFrame({"sku": [f"s{i}" for i in range(n)], "store": "x", "on_hand": on_hand})


def _paths(n: int, p: int, seed: int = 0, lam: float = 4.0) -> SamplePaths:
    rng = np.random.default_rng(seed)
    ids = pd.DataFrame({"sku": [f"s{i}" for i in range(n)], "store": "x"})
    return SamplePaths(ids, rng.poisson(lam, size=(n, p, len(DATES))).astype(np.float64), DATES)


# ----------------------------------------------------------------------------- validation


def test_output_columns_and_one_row_per_pair() -> None:
    out = propose_orders(_frame(), _inv())
    assert list(out.columns) == ORDER_COLUMNS
    assert len(out) == 3 and out[["sku", "store"]].drop_duplicates().shape[0] == 3


@pytest.mark.parametrize("bad", [-1.0, float("nan")])
def test_negative_or_nan_stock_names_the_row(bad: float) -> None:
    inv = _inv()
    inv.loc[1, "on_hand"] = bad
    with pytest.raises(ValueRangeError, match=r"sku='s1', store='x'"):
        propose_orders(_frame(), inv)


def test_nan_in_a_quantile_or_a_sample_path_is_refused_with_its_series() -> None:
    """A NaN p90 or path value would make the target NaN and the order 0 on an empty shelf."""
    frame = _frame()
    frame.loc[(frame["sku"] == "s1") & (frame["date"] == DATES[2]), "p90"] = np.nan
    with pytest.raises(ValueRangeError, match=r"'p10' and 'p90' must be finite.*sku='s1'"):
        propose_orders(frame, _inv())
    sp = _paths(3, 50)
    sp.paths[2, 7, 1] = np.nan
    with pytest.raises(ValueRangeError, match=r"sample paths must be finite.*sku='s2'"):
        propose_orders(sp, _inv())


@pytest.mark.parametrize("column", ["unit_cost", "case_pack", "lead_time"])
def test_a_listed_series_with_a_nan_param_is_refused_not_defaulted(column: str) -> None:
    """Left out of the params frame, a series takes the default; listed with NaN, it is an error that
    names it (a silent default would order with the wrong cost, pack or lead time)."""
    par = pd.DataFrame({"sku": ["s0", "s2"], "store": "x", column: [2.0, np.nan]})
    with pytest.raises(ValueRangeError, match=rf"'{column}' is missing \(NaN\).*sku='s2'"):
        propose_orders(_frame(), _inv(), params=par)
    assert len(propose_orders(_frame(), _inv(), params=par.iloc[:1])) == len(_inv())


@pytest.mark.parametrize(
    ("column", "value", "pattern"),
    [
        ("case_pack", 0.0, "case_pack must be > 0"),
        ("lead_time", -1, "lead_time must be"),
        ("price", 0.5, "price must be >= unit_cost"),
        ("moq", -2.0, "moq"),
        ("shelf_life", 0.5, "shelf_life must be a whole number of days"),
        ("lost_sale_penalty", float("inf"), "lost_sale_penalty must be finite"),
        ("price", float("inf"), "price must be finite"),
    ],
)
def test_bad_params_name_the_row(column: str, value: float, pattern: str) -> None:
    par = pd.DataFrame(
        {"sku": ["s0", "s2"], "store": "x", column: [1.0 if column != "price" else 3.0, value]}
    )
    if column == "lead_time":
        par[column] = [1, value]
    with pytest.raises(ValueRangeError, match=pattern) as info:
        propose_orders(_frame(), _inv(), params=par)
    assert "sku='s2'" in str(info.value)


def test_unknown_pairs_are_named_both_ways() -> None:
    inv = _inv()
    inv.loc[2, "sku"] = "zz"
    with pytest.raises(DataError, match=r"not the inventory: \(sku='s2'.*not the forecast: \(sku='zz'"):
        propose_orders(_frame(), inv)


def test_duplicate_inventory_and_missing_columns() -> None:
    inv = pd.concat([_inv(), _inv().iloc[:1]])
    with pytest.raises(DuplicateRowError, match="sku='s0'"):
        propose_orders(_frame(), inv)
    with pytest.raises(ColumnError, match="on_hand"):
        propose_orders(_frame(), _inv().drop(columns="on_hand"))


# ----------------------------------------------------------------------------- lead-time demand


def test_target_is_quantile_of_path_sums_not_sum_of_daily_quantiles() -> None:
    sp = _paths(2, 2000, seed=1)
    out = propose_orders(sp, _inv(2), params=ReplenishParams(lead_time=3, review_period=2),
                         policy=OrderUpTo(service_level=0.9))  # fmt: skip
    for i in range(2):
        sums = np.sort(sp.paths[i, :, :5].sum(axis=1))
        expected = sums[math.ceil(0.9 * sums.size) - 1]
        assert out["target_level"].iat[i] == expected
        assert out["protection_demand"].iat[i] == pytest.approx(sums.mean())
        daily_q = np.quantile(sp.paths[i, :, :5], 0.9, axis=0).sum()
        assert expected < daily_q  # summing daily quantiles over-protects


def test_quantile_frame_uses_stated_normal_approximation() -> None:
    # daily N(5, sd) with sd from p10/p90; 4-day window: independent -> sd*2, fully correlated -> sd*4
    sd = 3.0 / stats.norm.ppf(0.9)
    par = ReplenishParams(lead_time=3, review_period=1)
    ind = propose_orders(_frame(1), _inv(1), params=par, policy=OrderUpTo(service_level=0.95), n_samples=4000)
    full = propose_orders(_frame(1), _inv(1), params=par, policy=OrderUpTo(service_level=0.95),
                          correlation="full", n_samples=4000)  # fmt: skip
    z = stats.norm.ppf(0.95)
    assert ind["target_level"].iat[0] == pytest.approx(20 + z * sd * 2, abs=0.02)
    assert full["target_level"].iat[0] == pytest.approx(20 + z * sd * 4, abs=0.02)


def test_lead_time_pmf_mixes_windows() -> None:
    sp = _paths(1, 4000, seed=2)
    par = pd.DataFrame({"sku": ["s0"], "store": "x", "lead_time_pmf": [(0.0, 0.5, 0.5)]})
    out = propose_orders(sp, _inv(1), params=par)
    # mixture of 2- and 3-day windows (review 1): mean demand 4 * 2.5
    assert out["protection_demand"].iat[0] == pytest.approx(10.0, rel=0.03)


# ----------------------------------------------------------------------------- rules and reasons


@settings(max_examples=25, deadline=None)
@given(
    pack=st.integers(1, 12),
    moq=st.integers(0, 30),
    cap=st.integers(5, 80),
    on_hand=st.integers(0, 40),
    on_order=st.integers(0, 20),
)
def test_packs_moq_capacity_are_respected(pack: int, moq: int, cap: int, on_hand: int, on_order: int) -> None:
    par = ReplenishParams(case_pack=pack, moq=moq, shelf_capacity=cap)
    inv = _inv(1, on_hand).assign(on_order=float(on_order))
    row = propose_orders(_paths(1, 300), inv, params=par).iloc[0]
    q = row["order_qty"]
    assert q % pack == 0
    assert q == 0 or q >= moq or on_hand + on_order + q > cap - pack
    assert q == 0 or on_hand + on_order + q <= cap
    ip = on_hand + on_order
    assert q == pytest.approx(max(row["target_level"] - ip, 0) + row["pack_rounding"])
    assert row["reason"]


def test_zero_orders_say_why() -> None:
    inv = _inv(3, 0.0)
    inv.loc[0, "on_hand"] = 500.0
    par = pd.DataFrame({
        "sku": ["s0", "s1", "s2"], "store": "x",
        "order_days": [None, "Tue,Fri", None],
        "shelf_capacity": [1e9, 1e9, 0.5],
    })  # fmt: skip
    out = propose_orders(_frame(), inv, params=par)
    assert (out["order_qty"] == 0).all()
    assert "inventory position 500.0 is at or above the target" in out["reason"].iat[0]
    assert "not an order day" in out["reason"].iat[1]
    assert "no room under the shelf capacity" in out["reason"].iat[2]


def test_season_end_switches_to_newsvendor_and_prices_leftover() -> None:
    sp = _paths(2, 2000, seed=5)
    par = pd.DataFrame({
        "sku": ["s0", "s1"], "store": "x", "lead_time": 1, "review_period": 7,
        "season_end": [DATES[3], None], "unit_cost": 6.0, "price": 10.0, "salvage": 2.0,
    })  # fmt: skip
    out = propose_orders(sp, _inv(2), params=par)
    assert out["mode"].tolist() == ["newsvendor", "order_up_to"]
    # 4 selling days left from the order date, critical ratio (10-6)/(10-2) = 0.5
    sums = np.sort(sp.paths[0, :, :4].sum(axis=1))
    assert out["target_level"].iat[0] == sums[math.ceil(0.5 * sums.size) - 1]
    assert out["expected_leftover"].iat[0] == pytest.approx(
        np.maximum(out["order_qty"].iat[0] - sums, 0).mean()
    )
    assert "season ends" in out["reason"].iat[0] and "leftover" in out["reason"].iat[0]
    late = propose_orders(sp, _inv(2), params=par.assign(season_end=[DATES[0], DATES[0]]), as_of=DATES[0])
    assert (late["order_qty"] == 0).all() and "after the season end" in late["reason"].iat[0]


def test_newsvendor_policy_and_ss_policy_run() -> None:
    par = ReplenishParams(unit_cost=1.0, price=3.0, holding_cost=0.1)
    nv = propose_orders(_paths(2, 500), _inv(2), params=par, policy=Newsvendor())
    assert (nv["mode"] == "newsvendor").all() and (nv["order_qty"] > 0).all()
    ss = propose_orders(_paths(2, 500), _inv(2, 100.0), params=par, policy=SSPolicy())
    assert (ss["order_qty"] == 0).all() and ss["reason"].str.contains("above the reorder point").all()


def test_row_order_does_not_matter_and_columns_rename() -> None:
    fc = _frame()
    a = propose_orders(fc, _inv())
    b = propose_orders(fc.sample(frac=1.0, random_state=3), _inv().iloc[::-1])
    pd.testing.assert_frame_equal(a, b)
    cols = Columns(sku="item_id", store="store_id")
    names = {"sku": "item_id", "store": "store_id"}
    c = propose_orders(fc.rename(columns=names), _inv().rename(columns=names), columns=cols)
    assert list(c.columns[:2]) == ["item_id", "store_id"]
    np.testing.assert_array_equal(c["order_qty"], a["order_qty"])
