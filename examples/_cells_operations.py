"""Cell sources of the replenishment and service notebooks (see ``_build.py``)."""

from __future__ import annotations

Cell = tuple[str, str]  # ("md" | "py", source)

OPTIONS = """
%matplotlib inline
pd.set_option("display.width", 120)
pd.set_option("display.max_columns", 20)
"""

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
days = pd.DatetimeIndex(sorted(fc["date"].unique()))
paths = SamplePaths(f.forecast_ids(future), f.sample_paths(n=500, future=future), days)
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
            draws = self.model.sample_paths(n=300, future=ahead)
            self.cache[cutoff] = SamplePaths(self.model.forecast_ids(ahead), draws, days)
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
