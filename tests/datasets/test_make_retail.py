"""Tests of the synthetic dataset :func:`pullcast.datasets.make_retail`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pullcast.datasets import RetailTruth, hourly_profile, make_retail
from pullcast.errors import ConfigError
from pullcast.panel import Panel


@pytest.fixture(scope="module")
def small():
    return make_retail(n_skus=20, n_stores=4, n_days=240, seed=3, return_truth=True)


def test_shapes_and_columns_without_launches():
    sales, events, stores = make_retail(n_skus=7, n_stores=3, n_days=50, seed=0, launches=0.0)
    assert list(sales.columns) == ["sku", "store", "date", "units", "price", "promo", "on_hand", "category"]
    assert list(events.columns) == ["sku", "time", "channel", "value", "store", "region", "arrived_at"]
    assert list(stores.columns) == ["store", "region"]
    assert len(sales) == 7 * 3 * 50
    assert sales.groupby(["sku", "store"]).size().eq(50).all()
    assert len(stores) == 3 and stores["region"].nunique() == 2
    assert not sales.duplicated(["sku", "store", "date"]).any()
    assert sales["date"].min() == pd.Timestamp("2023-01-02")
    assert set(sales["promo"].unique()) <= {0, 1}
    assert sales["category"].nunique() <= 4
    # sorted by (sku, store, date)
    order = sales.sort_values(["sku", "store", "date"], kind="mergesort").index
    assert (order == sales.index).all()


def test_deterministic_per_seed():
    a = make_retail(n_skus=6, n_stores=2, n_days=40, seed=11)
    b = make_retail(n_skus=6, n_stores=2, n_days=40, seed=11)
    c = make_retail(n_skus=6, n_stores=2, n_days=40, seed=12)
    for x, y in zip(a, b, strict=True):
        pd.testing.assert_frame_equal(x, y)
    assert not np.array_equal(a[0]["units"].to_numpy(), c[0]["units"].to_numpy())


def test_censoring_invariant(small):
    sales, _, _, truth = small
    assert isinstance(truth, RetailTruth)
    demand = truth.demand
    assert (demand[["sku", "store", "date"]].to_numpy() == sales[["sku", "store", "date"]].to_numpy()).all()
    units = sales["units"].to_numpy()
    on_hand = sales["on_hand"].to_numpy()
    dem = demand["demand"].to_numpy()
    assert (units >= 0).all() and (on_hand >= 0).all()
    assert np.array_equal(units, np.round(units)) and np.array_equal(dem, np.round(dem))
    assert (units <= dem).all()
    assert np.array_equal(units[on_hand > 0], dem[on_hand > 0])
    censored = units < dem
    assert censored.any(), "the generator should produce some stockouts"
    assert (on_hand[censored] == 0).all()
    share = (on_hand == 0).mean()
    assert 0.01 < share < 0.3


def test_seasonality_and_promo_visible(small):
    sales, _, _, truth = small
    mean = truth.demand["mean"]
    dow = sales["date"].dt.day_of_week
    by_dow = mean.groupby(dow).mean()
    assert by_dow.loc[5] > by_dow.loc[1]  # Saturday above Tuesday (weekly profile)
    assert sales.loc[sales["promo"] == 1, "units"].mean() > sales.loc[sales["promo"] == 0, "units"].mean()
    zero_share = sales.groupby("sku")["units"].apply(lambda u: (u == 0).mean())
    assert (zero_share > 0.6).any(), "some intermittent slow movers expected"


def _lagged_corr(sales: pd.DataFrame, events: pd.DataFrame, max_lag: int) -> np.ndarray:
    """Pooled correlation of differenced log search (day t) with differenced log total units (t + k)."""
    units = sales.pivot_table(index="date", columns="sku", values="units", aggfunc="sum")
    search = events[events["channel"] == "search"].pivot_table(
        index="time", columns="sku", values="value", aggfunc="sum"
    )
    search = search.reindex(index=units.index, columns=units.columns).fillna(0.0)
    du = np.diff(np.log1p(units.to_numpy()), axis=0)
    ds = np.diff(np.log1p(search.to_numpy()), axis=0)
    out = []
    for k in range(max_lag + 1):
        a = ds[: ds.shape[0] - k].ravel()
        b = du[k:].ravel()
        ok = np.isfinite(a) & np.isfinite(b)
        out.append(np.corrcoef(a[ok], b[ok])[0, 1])
    return np.array(out)


@pytest.mark.parametrize("lead", [2, 5])
def test_planted_lead_visible_in_correlation(lead):
    sales, events, _ = make_retail(n_skus=30, n_stores=3, n_days=300, seed=5, lead_days=lead, launches=0.0)
    corr = _lagged_corr(sales, events, 10)
    assert int(np.argmax(corr)) == lead
    assert corr[lead] > 0.04  # ~4 sampling sd above zero
    assert corr[lead] - np.delete(corr, lead).max() > 0.02


def test_no_lead_at_strength_zero():
    sales, events, _ = make_retail(n_skus=30, n_stores=3, n_days=300, seed=5, signal_strength=0.0, launches=0)
    corr = _lagged_corr(sales, events, 10)
    # about 9,000 pooled pairs: sampling sd of a zero correlation is ~0.01
    assert np.abs(corr).max() < 0.04


def test_launches_start_later(small):
    sales, events, _, truth = small
    skus = truth.skus.set_index("sku")
    start = pd.Timestamp("2023-01-02")
    launched = skus.index[skus["launch_date"] > start]
    assert len(launched) == 2  # round(0.1 * 20)
    first_sale = sales.groupby("sku")["date"].min()
    pd.testing.assert_series_equal(
        first_sale, skus["launch_date"].rename("date").rename_axis("sku"), check_dtype=False
    )
    assert (first_sale.drop(launched) == start).all()
    first_event = events.groupby("sku")["time"].min()
    for sku in launched:
        assert first_event[sku] == skus.loc[sku, "launch_date"] - pd.Timedelta(days=14)
        early = sales[(sales["sku"] == sku)].sort_values("date").groupby("date")["units"].sum()
        assert early.iloc[:7].mean() < early.iloc[-60:].mean() + 1e-9 or early.sum() == 0


def test_events_arrive_after_time_and_levels(small):
    _, events, stores, _ = small
    assert (events["arrived_at"] >= events["time"]).all()
    assert (events["value"] > 0).all()
    level = events.groupby("channel")[["store", "region"]].agg(lambda x: x.notna().mean())
    assert level.loc["search"].tolist() == [0.0, 0.0]
    assert level.loc["wishlist"].tolist() == [1.0, 0.0]
    assert level.loc["social"].tolist() == [0.0, 1.0]
    assert level.loc["trend"].tolist() == [0.0, 1.0]
    assert set(events["store"].dropna()) <= set(stores["store"])
    assert set(events["region"].dropna()) <= set(stores["region"])
    trend = events[events["channel"] == "trend"]
    assert (trend["time"].dt.day_of_week == 0).all()
    assert (trend["arrived_at"] - trend["time"] >= pd.Timedelta(days=7)).all()
    assert trend["value"].between(0, 100).all()


def test_hourly_search():
    _, daily, _ = make_retail(n_skus=5, n_stores=2, n_days=28, seed=2)
    _, hourly, _ = make_retail(n_skus=5, n_stores=2, n_days=28, seed=2, hourly=True)
    search = hourly[hourly["channel"] == "search"]
    assert (search["time"].dt.hour > 0).any()
    delay = search["arrived_at"] - search["time"]
    assert delay.between(pd.Timedelta(hours=1), pd.Timedelta(minutes=70)).all()
    assert len(search) > 3 * (daily["channel"] == "search").sum()
    prof = hourly_profile()
    assert prof.shape == (7, 24) and np.allclose(prof.sum(axis=1), 1.0)


def test_truth_pull_frame(small):
    _, _, _, truth = small
    assert len(truth.pull) == 20 * 2 * 240
    assert abs(truth.pull["pull"].std() - 1.0) < 0.25
    assert truth.lead_days == 3


def test_sales_frame_builds_a_panel(small):
    panel = Panel.from_frame(small[0])
    assert panel.n_series == 20 * 4


@pytest.mark.parametrize(
    "kwargs",
    [{"n_skus": 0}, {"n_days": 5}, {"n_regions": 9}, {"lead_days": -1}, {"launches": 1.5}],
)
def test_bad_arguments(kwargs):
    with pytest.raises(ConfigError):
        make_retail(**kwargs)


def test_sku_and_region_events_have_missing_store_labels():
    """SKU- and region-level events carry a missing store (and SKU-level a missing region), never the
    text "None": under pandas 2.x the ``"str"`` alias once turned missing labels into that string, so
    every channel was inferred as store level and only wishlist reached any series."""
    _, events, _ = make_retail(n_skus=6, n_stores=3, n_days=60, seed=0)
    for frame_col in ("store", "region"):
        assert not events[frame_col].astype(object).isin(["None", "nan", "<NA>"]).any(), frame_col
    by = events.groupby("channel")
    assert by["store"].apply(lambda s: s.notna().any()).to_dict() == {
        "search": False,
        "social": False,
        "trend": False,
        "wishlist": True,
    }
    assert by["region"].apply(lambda s: s.notna().any()).to_dict() == {
        "search": False,
        "social": True,
        "trend": True,
        "wishlist": False,
    }


@pytest.mark.parametrize("seed", [0, 1])
def test_every_channel_reaches_the_series_and_tracks_the_pull(seed):
    """Each channel's aligned values vary and follow the latent pull of the series' (sku, region)."""
    from pullcast.signals import SignalStore

    sales, events, stores, truth = make_retail(
        n_skus=12, n_stores=4, n_days=200, seed=seed, return_truth=True, launches=0.0
    )
    panel = Panel.from_frame(sales[["sku", "store", "date", "units"]])
    store = SignalStore(stores=stores)
    report = store.append(events)
    assert report.accepted == len(events)
    aligned = store.aligned(panel, stores=stores)
    assert set(aligned) == {"search", "social", "trend", "wishlist"}

    # the latent pull of each panel element's (sku, region of its store, day)
    grid = panel.to_frame()[["sku", "store", "date"]].merge(stores, on="store", how="left")
    for name, values in aligned.items():
        assert np.nanstd(values) > 0, f"{name}: aligned values are constant"
        frame = grid.assign(value=np.log1p(values))
        best = -1.0
        for lag in range(0, 11):  # arrival delay: same evening, next morning, or days after a week
            pull = truth.pull.assign(date=truth.pull["date"] + pd.Timedelta(days=lag))
            joined = frame.merge(pull, on=["sku", "region", "date"], how="inner")
            # within-series correlation, so SKU popularity does not drive it
            keys = [joined["sku"], joined["store"]]
            x = joined["value"] - joined.groupby(keys)["value"].transform("mean")
            y = joined["pull"] - joined.groupby(keys)["pull"].transform("mean")
            best = max(best, float(np.corrcoef(x, y)[0, 1]))
        assert best > 0.1, f"{name}: correlation with the latent pull only {best:.3f}"
