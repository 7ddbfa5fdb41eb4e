"""Real data: Rossmann weekly Google Trends per state, aligned as-of to daily store sales.

Reads the data folder ``rossmann`` (set ``PULLCAST_DATA``) and skips cleanly when it is absent. The
full-size run and its ``signal_leads`` table come from ``python -m benchmarks rossmann_leads``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pullcast import Panel
from pullcast.signals import ChannelSpec, SignalStore, signal_leads

N_STORES = 40


@pytest.fixture(scope="module")
def rossmann(real_data) -> tuple[Panel, pd.DataFrame, pd.DataFrame]:
    data = real_data("rossmann")
    train = pd.read_csv(data / "train.csv.gz", usecols=["Store", "Date", "Sales", "Open"])
    states = pd.read_csv(data / "store_states.csv.gz")
    keep = np.sort(states["Store"].unique())[:N_STORES]
    train = train[train["Store"].isin(keep)]
    sales = pd.DataFrame(
        {
            "sku": "rossmann",
            "store": train["Store"].to_numpy(),
            "date": pd.to_datetime(train["Date"]).to_numpy(),
            "units": np.where(train["Open"] == 1, train["Sales"], np.nan),
        }
    )
    stores = states[states["Store"].isin(keep)].rename(columns={"Store": "store", "State": "region"})
    stores["region"] = stores["region"].replace({"HB,NI": "NI"})
    weeks = []
    for path in sorted((data / "googletrend").glob("Rossmann_DE_*.csv.gz")):
        raw = pd.read_csv(path, skiprows=1, header=None, names=["week", "index"])
        weeks.append(
            pd.DataFrame(
                {
                    "region": path.name[len("Rossmann_DE_") : -len(".csv.gz")],
                    "week_end": pd.to_datetime(raw["week"].str.split(" - ").str[1]),
                    "index": raw["index"].astype(float),
                }
            )
        )
    return Panel.from_frame(sales, fill_missing="nan"), stores.reset_index(drop=True), pd.concat(weeks)


def test_state_trends_align_as_of_to_store_days(rossmann: tuple[Panel, pd.DataFrame, pd.DataFrame]) -> None:
    panel, stores, weeks = rossmann
    events = pd.DataFrame(
        {
            "sku": "rossmann",
            "region": weeks["region"].to_numpy(),
            "channel": "trend",
            "time": weeks["week_end"].to_numpy(),
            "value": weeks["index"].to_numpy(),
        }
    )
    store = SignalStore([ChannelSpec("trend", level="region", agg="last", delay="1D")], stores=stores)
    report = store.append(events)
    known_regions = set(stores["region"])
    assert report.accepted == int(weeks["region"].isin(known_regions).sum())
    assert set(report.reasons) <= {"unknown region"}
    trend = store.aligned(panel)["trend"]

    # independent reference: each store-day gets the latest week whose Sunday-after has come
    region_of = dict(zip(stores["store"], stores["region"], strict=True))
    known_at = (weeks["week_end"] + pd.Timedelta(days=1)).astype("datetime64[ns]")
    known = weeks.assign(known=known_at).sort_values("known")
    for i in range(0, panel.n_series, 7):
        store_id = panel.ids.loc[i, "store"]
        days = pd.DataFrame({"date": panel.series(i).index.astype("datetime64[ns]")})
        ref = pd.merge_asof(
            days, known[known["region"] == region_of[store_id]], left_on="date", right_on="known"
        )
        np.testing.assert_array_equal(panel.series(i).index, days["date"])
        got = trend[panel.indptr[i] : panel.indptr[i + 1]]
        np.testing.assert_array_equal(got, ref["index"].to_numpy(), err_msg=f"store {store_id}")

    leads = signal_leads(panel, {"trend": trend}, max_lead=14)
    assert list(leads.columns) == ["channel", "lead_days", "strength", "p_value", "n_series"]
    assert leads.loc[0, "n_series"] == panel.n_series
    assert 0.0 <= leads.loc[0, "p_value"] <= 1.0
