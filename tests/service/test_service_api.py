"""In-process tests of the HTTP API (FastAPI TestClient) against a real DuckDB file in a temp dir."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import KEY, Fitted, carried_forward, events_json, sales_json

from pullcast import Forecaster
from pullcast.errors import ConfigError, IncompatibleModelError

AUTH = {"Authorization": f"Bearer {KEY}"}


def make_client(fitted: Fitted, db: Path, **kwargs: object):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from pullcast.service import create_app, hash_key

    kwargs.setdefault("api_keys", [hash_key(KEY)])
    app = create_app(fitted.model_dir, db, **kwargs)  # type: ignore[arg-type]
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def client(fitted: Fitted, tmp_path: Path) -> Iterator[object]:
    with make_client(fitted, tmp_path / "store.duckdb") as c:
        yield c


def frame_of(body: dict) -> pd.DataFrame:  # type: ignore[type-arg]
    rows = [{**{k: v for k, v in r.items() if k != "quantiles"}, **r["quantiles"]} for r in body["rows"]]
    out = pd.DataFrame(rows)
    out["date"] = pd.to_datetime(out["date"])
    return out.sort_values(["sku", "store", "date"]).reset_index(drop=True)


def library_forecast(f: Forecaster, history: pd.DataFrame, horizon: int) -> pd.DataFrame:
    fc = f.predict(carried_forward(history, horizon))
    return fc.sort_values(["sku", "store", "date"]).reset_index(drop=True)


def assert_same_forecast(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert len(got) == len(want)
    assert (got["sku"].astype(str).to_numpy() == want["sku"].astype(str).to_numpy()).all()
    assert (got["date"].to_numpy() == want["date"].to_numpy()).all()
    for col in ("forecast", "p10", "p50", "p90"):
        np.testing.assert_allclose(got[col].to_numpy(float), want[col].to_numpy(float), rtol=1e-9, atol=1e-9)


# ---------------------------------------------------------------------- auth and start-up
def test_health_needs_no_key_but_v1_routes_do(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/v1/health").json() == {"status": "ok"}
    for method, path in [
        ("get", "/v1/ready"),
        ("get", "/v1/model"),
        ("post", "/v1/forecast"),
        ("post", "/v1/signals"),
        ("post", "/v1/sales"),
        ("post", "/v1/orders"),
    ]:
        missing = getattr(client, method)(path)
        wrong = getattr(client, method)(path, headers={"Authorization": "Bearer not-the-key"})
        basic = getattr(client, method)(path, headers={"Authorization": f"Basic {KEY}"})
        for r in (missing, wrong, basic):
            assert r.status_code == 401, (path, r.status_code, r.text)
            assert "Authorization" in r.json()["message"]


def test_refuses_to_start_without_keys(
    fitted: Fitted, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pullcast.service import create_app

    monkeypatch.delenv("PULLCAST_API_KEYS", raising=False)
    with pytest.raises(ConfigError, match="no API key"):
        create_app(fitted.model_dir, tmp_path / "a.duckdb")
    with pytest.raises(ConfigError, match="sha256"):
        create_app(fitted.model_dir, tmp_path / "b.duckdb", api_keys=["a-plain-key-is-refused"])
    app = create_app(fitted.model_dir, tmp_path / "c.duckdb", insecure_dev=True)
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        assert c.get("/v1/ready").json()["ready"] is True


def test_keys_from_environment(fitted: Fitted, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pullcast.service import hash_key

    monkeypatch.setenv("PULLCAST_API_KEYS", f"{hash_key('other')},sha256:{hash_key(KEY)}")
    with make_client(fitted, tmp_path / "s.duckdb", api_keys=None) as c:
        assert c.get("/v1/model", headers=AUTH).status_code == 200
        assert c.get("/v1/model", headers={"Authorization": "Bearer other"}).status_code == 200
        assert c.get("/v1/model", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_tampered_model_is_refused(fitted: Fitted, tmp_path: Path) -> None:
    import shutil

    bad = tmp_path / "model"
    shutil.copytree(fitted.model_dir, bad)
    (bad / "model.txt").write_text((bad / "model.txt").read_text() + "\n")
    from pullcast.service import create_app, hash_key

    with pytest.raises(IncompatibleModelError, match="model.txt"):
        create_app(bad, tmp_path / "s.duckdb", api_keys=[hash_key(KEY)])


# ---------------------------------------------------------------------- reads
def test_model_and_ready(client, fitted: Fitted) -> None:  # type: ignore[no-untyped-def]
    f = Forecaster.load(fitted.model_dir)
    body = client.get("/v1/model", headers=AUTH).json()
    assert body["horizon"] == fitted.horizon
    assert body["training_window"] == [str(d.date()) for d in f.training_window_]
    assert body["features"] == list(f.feature_names_)
    assert body["covariates"] == ["price", "promo"]
    assert body["n_series"] == 12
    assert body["origin"] == str(fitted.history["date"].max().date())
    assert {r["channel"] for r in body["signal_report"]} == set(f.signal_report_["channel"])
    ready = client.get("/v1/ready", headers=AUTH).json()
    assert ready == {
        "ready": True,
        "model_loaded": True,
        "store_open": True,
        "events_stored": 0,
        "sales_rows_stored": 0,
    }


def test_forecast_equals_the_library(client, fitted: Fitted) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/v1/forecast", headers=AUTH, json={})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["covariates_source"] == "carried forward" and body["stale"] is False
    want = library_forecast(Forecaster.load(fitted.model_dir), fitted.history, fitted.horizon)
    assert_same_forecast(frame_of(body), want)


def test_forecast_subset_horizon_and_quantiles(client) -> None:  # type: ignore[no-untyped-def]
    full = frame_of(client.post("/v1/forecast", headers=AUTH, json={}).json())
    req = {
        "series": [{"sku": "SKU003", "store": "S01"}, {"sku": "SKU000", "store": "S00"}],
        "horizon": 3,
        "quantiles": [0.5, 0.95],
    }
    body = client.post("/v1/forecast", headers=AUTH, json=req).json()
    assert body["horizon"] == 3 and body["quantiles"] == ["p50", "p95"]
    got = pd.DataFrame([{**r, **r["quantiles"]} for r in body["rows"]])
    assert (
        list(zip(got["sku"], got["store"], strict=True)) == [("SKU003", "S01")] * 3 + [("SKU000", "S00")] * 3
    )
    merged = got.assign(date=pd.to_datetime(got["date"])).merge(full, on=["sku", "store", "date"])
    assert len(merged) == 6
    np.testing.assert_allclose(merged["p50_x"], merged["p50_y"])
    np.testing.assert_allclose(merged["forecast_x"], merged["forecast_y"])
    assert (merged["p95"] >= merged["p90"]).all()


def test_forecast_with_future_covariates(client, fitted: Fitted) -> None:  # type: ignore[no-untyped-def]
    future = carried_forward(fitted.history, fitted.horizon)
    future["price"] = future["price"] * 0.5
    rows = [
        {
            "sku": r.sku,
            "store": r.store,
            "date": r.date.date().isoformat(),
            "covariates": {"price": float(r.price), "promo": float(r.promo)},
        }
        for r in future.itertuples()
    ]
    body = client.post("/v1/forecast", headers=AUTH, json={"future": rows}).json()
    assert body["covariates_source"] == "request"
    f = Forecaster.load(fitted.model_dir)
    want = f.predict(future).sort_values(["sku", "store", "date"]).reset_index(drop=True)
    assert_same_forecast(frame_of(body), want)
    missing = client.post("/v1/forecast", headers=AUTH, json={"future": rows[:-1]})
    assert missing.status_code == 422 and "future frame lacks" in missing.json()["message"]


# ---------------------------------------------------------------------- refused requests
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"horizon": 8}, "horizon"),
        ({"horizon": 0}, "horizon"),
        ({"horizon": "soon"}, "horizon"),
        ({"quantiles": [1.5]}, "quantiles[0]"),
        ({"series": [{"sku": "NOPE", "store": "S00"}]}, "series[0]"),
        ({"series": [{"sku": "SKU000"}]}, "series.0.store"),
        ({"as_of": "not a time"}, "as_of"),
        ({"unknown_field": 1}, "unknown_field"),
        ([1, 2], "body"),
    ],
)
def test_forecast_errors_name_the_field(client, body, field: str) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/v1/forecast", headers=AUTH, json=body)
    assert r.status_code == 422, r.text
    assert field in r.json()["message"], r.json()


def test_malformed_json_and_wrong_types(client) -> None:  # type: ignore[no-untyped-def]
    r = client.post(
        "/v1/signals", headers={**AUTH, "Content-Type": "application/json"}, content=b'{"events": ['
    )
    assert r.status_code == 422 and "body" in r.json()["message"]
    r = client.post(
        "/v1/signals",
        headers=AUTH,
        json={"events": [{"sku": "SKU000", "time": "2023-01-01", "channel": "search", "value": "many"}]},
    )
    assert r.status_code == 422 and "events.0.value" in r.json()["message"]
    r = client.post(
        "/v1/sales", headers=AUTH, json={"rows": [{"sku": "SKU000", "store": "S00", "date": "x", "units": 1}]}
    )
    assert r.status_code == 422 and "rows.0.date" in r.json()["message"]
    r = client.post(
        "/v1/sales",
        headers=AUTH,
        json={"rows": [{"sku": "SKU000", "store": "S00", "date": "2023-06-01", "units": -1}]},
    )
    assert r.status_code == 422 and "rows.0.units" in r.json()["message"]
    assert client.get("/v1/nothing", headers=AUTH).status_code == 404


def test_limits(fitted: Fitted, tmp_path: Path) -> None:
    from pullcast.service import ServiceLimits

    limits = ServiceLimits(max_body_bytes=2_000, max_series=3, max_events=2)
    with make_client(fitted, tmp_path / "s.duckdb", limits=limits) as c:
        big = {"events": [{"sku": "SKU000", "time": "2023-05-01", "channel": "search", "value": 1.0}] * 40}
        r = c.post("/v1/signals", headers=AUTH, json=big)
        assert r.status_code == 413 and "max_body_bytes" in r.json()["message"]
        r = c.post("/v1/signals", headers=AUTH, json={"events": big["events"][:3]})
        assert (
            r.status_code == 422 and "events" in r.json()["message"] and "max_events" in r.json()["message"]
        )
        series = [{"sku": f"SKU00{i}", "store": "S00"} for i in range(4)]
        r = c.post("/v1/forecast", headers=AUTH, json={"series": series})
        assert r.status_code == 422 and "max_series" in r.json()["message"]
        r = c.post("/v1/forecast", headers=AUTH, json={})  # all 12 series > 3
        assert r.status_code == 422 and "series" in r.json()["message"]
        assert c.post("/v1/forecast", headers=AUTH, json={"series": series[:3]}).status_code == 200


def test_as_of_is_refused_until_supported(client) -> None:  # type: ignore[no-untyped-def]
    import inspect

    r = client.post("/v1/forecast", headers=AUTH, json={"as_of": "2023-05-25T10:00:00"})
    if "as_of" in inspect.signature(Forecaster.predict).parameters:
        assert r.status_code == 200, r.text
    else:
        assert r.status_code == 422 and "as_of" in r.json()["message"]


# ---------------------------------------------------------------------- writes
def test_signals_are_stored_and_update_the_forecast(fitted: Fitted, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    batch = fitted.later_events.head(40)
    payload = events_json(batch)
    payload.append({"sku": "SKU000", "time": "2023-05-30T00:00:00", "channel": "nope", "value": 1.0})
    with make_client(fitted, db) as c:
        r = c.post("/v1/signals", headers=AUTH, json={"events": payload})
        assert r.status_code == 200, r.text
        rep = r.json()
        assert rep["n_rows"] == 41 and rep["accepted"] + rep["rejected"] == 41
        assert rep["rejected_rows"] == [{"index": 40, "reason": "unknown channel"}]
        assert rep["events_stored"] == rep["accepted"] == 40
        got = frame_of(c.post("/v1/forecast", headers=AUTH, json={}).json())
        assert c.app.state.engine.store.counts()["events"] == 40
    f = Forecaster.load(fitted.model_dir)
    f.update(signals=batch)
    want = library_forecast(f, fitted.history, fitted.horizon)
    assert_same_forecast(got, want)
    # a restart replays the stored events: same forecasts
    with make_client(fitted, db) as c:
        assert c.get("/v1/ready", headers=AUTH).json()["events_stored"] == 40
        assert_same_forecast(frame_of(c.post("/v1/forecast", headers=AUTH, json={}).json()), want)


def test_sales_move_the_origin(fitted: Fitted, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    day1 = fitted.later_sales[fitted.later_sales["date"] == fitted.later_sales["date"].min()]
    with make_client(fitted, db) as c:
        r = c.post("/v1/sales", headers=AUTH, json={"rows": sales_json(day1)})
        assert r.status_code == 200, r.text
        assert r.json() == {
            "n_rows": 12,
            "accepted": 12,
            "series_updated": 12,
            "new_series": 0,
            "sales_rows_stored": 12,
        }
        again = c.post("/v1/sales", headers=AUTH, json={"rows": sales_json(day1)})
        assert again.status_code == 422 and "SKU000" in again.json()["message"]
        nocov = c.post("/v1/sales", headers=AUTH, json={"rows": sales_json(day1, covariates=("price",))})
        assert nocov.status_code == 422 and "rows[0].covariates" in nocov.json()["message"]
        got = frame_of(c.post("/v1/forecast", headers=AUTH, json={}).json())
        assert c.get("/v1/model", headers=AUTH).json()["origin"] == str(day1["date"].iloc[0].date())
    f = Forecaster.load(fitted.model_dir)
    f.update(sales=day1)
    history = pd.concat([fitted.history, day1])
    assert_same_forecast(got, library_forecast(f, history, fitted.horizon))
    with make_client(fitted, db) as c:
        assert_same_forecast(
            frame_of(c.post("/v1/forecast", headers=AUTH, json={}).json()),
            library_forecast(f, history, fitted.horizon),
        )


def test_orders(client) -> None:  # type: ignore[no-untyped-def]
    inventory = [
        {"sku": "SKU000", "store": "S00", "on_hand": 0.0},
        {"sku": "SKU001", "store": "S01", "on_hand": 1e6},
        {"sku": "SKU002", "store": "S00", "on_hand": 1.0, "on_order": 2.0},
    ]
    body = {"inventory": inventory, "params": {"lead_time": 1, "case_pack": 1}, "n_paths": 200}
    r = client.post("/v1/orders", headers=AUTH, json=body)
    assert r.status_code == 200, r.text
    orders = pd.DataFrame(r.json()["orders"])
    assert list(orders["sku"]) == ["SKU000", "SKU001", "SKU002"]
    assert orders.loc[1, "order_qty"] == 0  # a million units on hand need no order
    want = (
        np.maximum(orders["target_level"] - orders["on_hand"] - orders["on_order"], 0)
        + orders["pack_rounding"]
    )
    np.testing.assert_allclose(orders["order_qty"], want)
    assert (orders["order_qty"] >= 0).all() and (orders["order_qty"] % 1 == 0).all()
    bad = client.post(
        "/v1/orders", headers=AUTH, json={"inventory": [{"sku": "X", "store": "S00", "on_hand": 1}]}
    )
    assert bad.status_code == 422 and "inventory[0]" in bad.json()["message"]
    neg = client.post(
        "/v1/orders", headers=AUTH, json={"inventory": [{"sku": "SKU000", "store": "S00", "on_hand": -1}]}
    )
    assert neg.status_code == 422 and "inventory.0.on_hand" in neg.json()["message"]


def test_openapi_documents_the_routes(client) -> None:  # type: ignore[no-untyped-def]
    spec = client.get("/openapi.json").json()
    for path in (
        "/v1/signals",
        "/v1/sales",
        "/v1/forecast",
        "/v1/orders",
        "/v1/health",
        "/v1/ready",
        "/v1/model",
    ):
        assert path in spec["paths"]
    assert "SignalEvent" in json.dumps(spec["components"]["schemas"])


def test_new_series_from_sales_are_cold_starts(fitted: Fitted, tmp_path: Path) -> None:
    """A SKU-store first seen in /v1/sales is forecast (cold start), ordered for, and survives a restart."""
    day1 = fitted.later_sales[fitted.later_sales["date"] == fitted.later_sales["date"].min()]
    new_row = day1.head(1).assign(sku="NEWSKU")
    rows = sales_json(pd.concat([day1, new_row]))
    rows[-1]["attributes"] = {"category": str(day1["category"].iloc[0])}
    db = tmp_path / "s.duckdb"
    series = {"series": [{"sku": "NEWSKU", "store": str(new_row["store"].iloc[0])}]}
    with make_client(fitted, db) as c:
        r = c.post("/v1/sales", headers=AUTH, json={"rows": rows})
        assert r.status_code == 200, r.text
        assert r.json()["new_series"] == 1 and r.json()["series_updated"] == 13
        fc = c.post("/v1/forecast", headers=AUTH, json=series)
        assert fc.status_code == 200, fc.text
        got = fc.json()["rows"]
        assert len(got) == fitted.horizon and all(row["forecast"] is not None for row in got)
        inv = {"inventory": [{**series["series"][0], "on_hand": 0}], "n_paths": 100}
        orders = c.post("/v1/orders", headers=AUTH, json=inv)
        assert orders.status_code == 200, orders.text
        assert c.get("/v1/model", headers=AUTH).json()["n_series"] == 13
    with make_client(fitted, db) as c:  # replayed on restart
        assert c.post("/v1/forecast", headers=AUTH, json=series).json()["rows"] == got


def test_concurrent_reads_and_writes(fitted: Fitted, tmp_path: Path) -> None:
    """Forecasts and ingests from several threads at once: no errors, every acknowledged event stored."""
    from concurrent.futures import ThreadPoolExecutor

    batches = [events_json(fitted.later_events.iloc[i::8].head(15)) for i in range(8)]
    series = [{"sku": f"SKU00{i % 6}", "store": f"S0{i % 2}"} for i in range(6)]
    with make_client(fitted, tmp_path / "s.duckdb") as c:

        def work(i: int) -> tuple[int, int]:
            ingest = c.post("/v1/signals", headers=AUTH, json={"events": batches[i]})
            read = c.post("/v1/forecast", headers=AUTH, json={"series": series, "horizon": 2})
            assert read.status_code == 200 and len(read.json()["rows"]) == 12, read.text
            assert ingest.status_code == 200, ingest.text
            return ingest.json()["accepted"], read.status_code

        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(work, range(8)))
        acked = sum(a for a, _ in results)
        assert acked == sum(len(b) for b in batches)
        assert c.app.state.engine.store.counts()["events"] == acked
        final = frame_of(c.post("/v1/forecast", headers=AUTH, json={}).json())
    f = Forecaster.load(fitted.model_dir)
    f.update(signals=pd.concat([fitted.later_events.iloc[i::8].head(15) for i in range(8)]))
    # order between batches does not matter here: distinct arrival times, no revisions
    assert_same_forecast(final, library_forecast(f, fitted.history, fitted.horizon))


def test_bounded_staleness(fitted: Fitted, tmp_path: Path) -> None:
    """With max_staleness, a read right after a write may get the previous forecast, flagged stale."""
    import time

    batch = fitted.later_events.head(30)
    with make_client(fitted, tmp_path / "s.duckdb", max_staleness=60.0) as c:
        first = c.post("/v1/forecast", headers=AUTH, json={}).json()
        assert first["stale"] is False
        assert c.post("/v1/signals", headers=AUTH, json={"events": events_json(batch)}).status_code == 200
        body = c.post("/v1/forecast", headers=AUTH, json={}).json()
        if body["stale"]:
            assert body["rows"] == first["rows"]
        deadline = time.monotonic() + 60
        while body["stale"] and time.monotonic() < deadline:
            time.sleep(0.05)
            body = c.post("/v1/forecast", headers=AUTH, json={}).json()
        assert body["stale"] is False
    f = Forecaster.load(fitted.model_dir)
    f.update(signals=batch)
    assert_same_forecast(frame_of(body), library_forecast(f, fitted.history, fitted.horizon))
