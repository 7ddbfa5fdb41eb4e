"""simulate(): analytic vs simulated fill rate, replay with a forecaster, totals, season-end markdowns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pullcast.errors import ConfigError
from pullcast.replenish import (
    OrderUpTo,
    ReplenishParams,
    SamplePaths,
    SSPolicy,
    analytic_fill_rate,
    order_up_to,
    simulate,
)


def _ids(n: int) -> pd.DataFrame:
    return pd.DataFrame({"sku": [f"s{i}" for i in range(n)], "store": "x"})


@pytest.mark.parametrize(("lead", "review", "target"), [(2, 1, 0.95), (1, 3, 0.9)])
def test_analytic_fill_rate_agrees_with_simulation(lead: int, review: int, target: float) -> None:
    # Stationary Poisson(4) demand, backorders: the loss-function fill rate should match the simulated
    # one within 1 percentage point. Monte Carlo: 60 series x 1500 days (~360k units of demand).
    lam, n, days = 4.0, 60, 1500
    level = order_up_to(stats.poisson(lam), lead_time=lead, review_period=review, fill_rate=target).quantity
    analytic = analytic_fill_rate(stats.poisson(lam), level, lead_time=lead, review_period=review)
    dem = np.random.default_rng(11).poisson(lam, size=(n, days)).astype(float)
    res = simulate(
        OrderUpTo(level=level),
        (_ids(n), dem),
        inventory=_ids(n).assign(on_hand=level),
        params=ReplenishParams(lead_time=lead, review_period=review),
        backorders=True,
    )
    assert abs(res.total["fill_rate"] - analytic) < 0.01
    assert res.total["fill_rate"] >= target - 0.01


def test_totals_are_sums_of_series_and_rates_recomputed() -> None:
    dem = np.random.default_rng(2).poisson(3.0, size=(5, 60)).astype(float)
    par = ReplenishParams(lead_time=1, holding_cost=0.1, unit_cost=2.0, price=5.0, lost_sale_penalty=1.0)
    res = simulate(OrderUpTo(level=6.0), (_ids(5), dem), inventory=_ids(5).assign(on_hand=0.0), params=par)
    per = res.per_series
    for col in ["demand", "sold", "lost_sales_units", "ordered_units", "holding_cost", "total_cost"]:
        assert res.total[col] == pytest.approx(per[col].sum())
    assert res.total["fill_rate"] == pytest.approx(per["sold"].sum() / per["demand"].sum())
    # lost sales: every unit demanded is sold or lost
    np.testing.assert_allclose(per["sold"] + per["lost_sales_units"], per["demand"])
    expected_cost = 0.1 * per["avg_on_hand"] * 60 + per["lost_sales_units"] * (5.0 - 2.0 + 1.0)
    np.testing.assert_allclose(per["total_cost"], expected_cost)


def test_season_end_leftover_is_marked_down_and_expiry_counted() -> None:
    dates = pd.date_range("2024-01-01", periods=20)
    dem = np.full((2, 20), 1.0)
    par = pd.DataFrame({"sku": ["s0", "s1"], "store": "x", "season_end": [dates[9], None],
                        "shelf_life": [0, 3], "unit_cost": 2.0, "salvage": 0.5, "price": 4.0})  # fmt: skip
    res = simulate(OrderUpTo(level=10.0), (_ids(2), dem, dates), inventory=_ids(2).assign(on_hand=10.0),
                   params=par)  # fmt: skip
    s0, s1 = res.per_series.iloc[0], res.per_series.iloc[1]
    assert s0["days"] == 10 and s0["markdown_units"] > 0
    assert s0["overstock_value"] == pytest.approx(s0["markdown_units"] * 1.5)
    assert s1["expired_units"] > 0 and s1["overstock_units"] == s1["expired_units"]


def test_forecaster_replay_calls_back_with_history_only() -> None:
    dates = pd.date_range("2024-01-01", periods=30)
    dem = np.random.default_rng(5).poisson(5.0, size=(3, 30)).astype(float)
    seen: list[pd.Timestamp] = []

    def forecaster(history: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
        assert history["date"].max() <= cutoff if len(history) else True
        seen.append(cutoff)
        future = pd.date_range(cutoff + pd.Timedelta(days=1), periods=10)
        rows = [(s, "x", d, 5.0) for s in ["s0", "s1", "s2"] for d in future]
        return pd.DataFrame(rows, columns=["sku", "store", "date", "forecast"])

    inv = _ids(3).assign(on_hand=0.0)
    par = ReplenishParams(lead_time=2, review_period=7)
    res = simulate(
        OrderUpTo(service_level=0.95), (_ids(3), dem, dates), inventory=inv, params=par, forecaster=forecaster
    )
    assert seen == [dates[d] - pd.Timedelta(days=1) for d in (0, 7, 14, 21, 28)]
    assert res.total["fill_rate"] > 0.8
    assert (res.per_series["orders"] >= 4).all()


def test_scenario_paths_are_simulated_per_path() -> None:
    dates = pd.date_range("2024-01-01", periods=15)
    paths = np.random.default_rng(1).poisson(2.0, size=(2, 4, 15)).astype(float)
    res = simulate(
        SSPolicy(s=3, S=10), SamplePaths(_ids(2), paths, dates), inventory=_ids(2).assign(on_hand=5.0)
    )
    assert len(res.per_series) == 8 and res.per_series["path"].tolist() == [0, 1, 2, 3] * 2
    np.testing.assert_allclose(res.per_series["demand"], paths.sum(axis=2).ravel())


def test_simulate_needs_levels() -> None:
    with pytest.raises(ConfigError, match="needs order levels"):
        simulate(OrderUpTo(), (_ids(1), np.ones((1, 5))), inventory=_ids(1).assign(on_hand=0.0))
