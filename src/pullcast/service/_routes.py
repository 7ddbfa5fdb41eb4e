"""Route handlers. Plain ``def`` functions: FastAPI runs them in its worker threads, off the event loop."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import numpy as np
import pandas as pd
from fastapi import Request
from fastapi.responses import JSONResponse, Response

from pullcast.columns import quantile_name
from pullcast.service._auth import verify
from pullcast.service._engine import ForecastEngine, Snapshot
from pullcast.service._errors import RequestError
from pullcast.service._schemas import (
    ForecastRequest,
    FutureRow,
    OrdersRequest,
    SalesRequest,
    SeriesKey,
    SignalsRequest,
)
from pullcast.service._store import encode_extra

__all__ = ["forecast", "health", "make_authorize", "model", "orders", "ready", "sales", "signals"]


def _engine(request: Request) -> ForecastEngine:
    return request.app.state.engine  # type: ignore[no-any-return]


def _fail(field: str, message: str, status: int = 422) -> Exception:
    return RequestError(status, field, message)


def _num(value: Any) -> float | None:
    """A JSON number, or null for NaN/inf (JSON has no NaN)."""
    x = float(value)
    return x if np.isfinite(x) else None


def _clean(values: np.ndarray) -> list[float | None]:
    """Floats as a list, NaN/inf as None (JSON has no NaN)."""
    out: list[float | None] = np.asarray(values, dtype=np.float64).tolist()
    if not np.isfinite(values).all():
        out = [x if x is not None and math.isfinite(x) else None for x in out]
    return out


def _py(value: Any) -> Any:
    """A JSON-ready Python scalar."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return _num(value)
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return value


def _naive_utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(dt.timezone.utc).replace(tzinfo=None)


def _cap(n: int, limit: int, field: str, what: str, name: str) -> None:
    if n > limit:
        raise _fail(field, f"{n} {what} in one request, more than the limit of {limit} ({name})")


def make_authorize(digests: list[str]) -> Any:
    """The dependency checking ``Authorization: Bearer <key>`` against the sha256 ``digests``."""

    def authorize(request: Request) -> None:
        if not digests:
            return
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip() or not verify(token.strip(), digests):
            raise _fail("Authorization", "missing or wrong API key (expected 'Bearer <key>')", 401)

    return authorize


# ---------------------------------------------------------------------- status
def health() -> dict[str, str]:
    """Liveness: the process answers (no authentication)."""
    return {"status": "ok"}


def ready(request: Request) -> Any:
    """Readiness: the model is loaded and the store answers (503 otherwise)."""
    engine = _engine(request)
    loaded = getattr(engine.forecaster, "model_", None) is not None
    store_ok = engine.store.ping()
    body = {
        "ready": loaded and store_ok,
        "model_loaded": loaded,
        "store_open": store_ok,
        "events_stored": engine.store.n_events,
        "sales_rows_stored": engine.store.n_sales,
    }
    return JSONResponse(body, status_code=200 if body["ready"] else 503)


def model(request: Request) -> dict[str, Any]:
    """The loaded model: version, horizon, training window, features, signal report."""
    from pullcast import __version__

    engine = _engine(request)
    f = engine.forecaster
    with engine.lock.read():
        last = engine.last_dates()
        n_series = len(f.ids_)
    report = json.loads(f.signal_report_.to_json(orient="records")) if f.signal_report_ is not None else []
    return {
        "pullcast_version": __version__,
        "model_dir": str(engine.model_dir),
        "horizon": int(f.horizon),
        "quantiles": [float(q) for q in f.quantiles_],
        "training_window": [d.date() for d in f.training_window_],
        "n_series": n_series,
        "origin": max(last.values()).date() if last else None,
        "features": list(f.feature_names_),
        "covariates": list(f.covariates_),
        "signal_channels": list(f.state_.signals),
        "signal_report": report,
        "supports_as_of": engine.supports_as_of,
    }


# ---------------------------------------------------------------------- writes
def signals(body: SignalsRequest, request: Request) -> dict[str, Any]:
    """Append signal events; accepted ones are committed to the store before this answers."""
    engine = _engine(request)
    events = body.events
    _cap(len(events), request.app.state.limits.max_events, "events", "events", "max_events")
    rows = pd.DataFrame(
        {
            "sku": [e.sku for e in events],
            "store": [e.store for e in events],
            "region": [e.region for e in events],
            "channel": [e.channel for e in events],
            "time": pd.to_datetime([_naive_utc(e.time) for e in events]),
            "arrived_at": pd.to_datetime([_naive_utc(e.arrived_at) for e in events]),
            "value": np.array([e.value for e in events], dtype=np.float64),
        }
    )
    frame = engine.events_frame(rows)
    report = engine.ingest_signals(frame, len(events))
    return {
        "n_rows": report.n_rows,
        "accepted": report.accepted,
        "rejected": report.rejected,
        "duplicates": report.duplicates,
        "revisions": report.revisions,
        "reasons": report.reasons,
        "rejected_rows": [
            {"index": int(i), "reason": str(r)} for i, r in report.rejected_rows["reason"].items()
        ],
        "events_stored": engine.store.n_events,
    }


def sales(body: SalesRequest, request: Request) -> dict[str, Any]:
    """Append sales days (each after its series' last known day); committed before this answers."""
    engine = _engine(request)
    rows = body.rows
    _cap(len(rows), request.app.state.limits.max_sales_rows, "rows", "sales rows", "max_sales_rows")
    if not rows:
        raise _fail("rows", "no sales rows given")
    needed, attrs = set(engine.covariates), set(engine.attributes)
    for i, r in enumerate(rows):
        missing = sorted(needed - set(r.covariates))
        if missing:
            raise _fail(
                f"rows[{i}].covariates", f"missing {missing}; the model was fit with {sorted(needed)}"
            )
        extra = sorted(set(r.covariates) - needed)
        if extra:
            raise _fail(f"rows[{i}].covariates", f"unknown {extra}; the model uses {sorted(needed)}")
        unknown = sorted(set(r.attributes) - attrs)
        if unknown:
            raise _fail(
                f"rows[{i}].attributes", f"unknown {unknown}; the model's attributes are {sorted(attrs)}"
            )
    stored = pd.DataFrame(
        {
            "sku": [str(engine.label(r.sku, "sku")) for r in rows],
            "store": [str(engine.label(r.store, "store")) for r in rows],
            "date": pd.to_datetime([r.date for r in rows]),
            "units": [r.units for r in rows],
            "on_hand": [r.on_hand for r in rows],
            "in_stock": [r.in_stock for r in rows],
            "extra": [encode_extra(r.covariates, r.attributes) for r in rows],
        }
    )
    frame = engine.sales_frame(stored)
    touched, new = engine.ingest_sales(stored, frame)
    return {
        "n_rows": len(rows),
        "accepted": len(rows),
        "series_updated": touched,
        "new_series": new,
        "sales_rows_stored": engine.store.n_sales,
    }


# ---------------------------------------------------------------------- reads
def _future(engine: ForecastEngine, future: list[FutureRow] | None) -> pd.DataFrame | None:
    if future is None:
        return None
    needed = list(engine.covariates)
    for i, r in enumerate(future):
        missing = sorted(set(needed) - set(r.covariates))
        if missing:
            raise _fail(f"future[{i}].covariates", f"missing {missing}; the model was fit with {needed}")
    frame = pd.DataFrame(
        {
            "sku": [engine.label(r.sku, "sku") for r in future],
            "store": [engine.label(r.store, "store") for r in future],
            "date": pd.to_datetime([r.date for r in future]).astype("datetime64[ns]"),
        }
    )
    for c in needed:
        frame[c] = np.array([r.covariates[c] for r in future], dtype=np.float64)
    return frame


def _snapshot(
    engine: ForecastEngine, future: list[FutureRow] | None, as_of: dt.datetime | None
) -> tuple[Snapshot, bool]:
    if as_of is not None and not engine.supports_as_of:
        raise _fail("as_of", "intraday nowcasts are not supported by this pullcast version yet")
    fut = _future(engine, future)
    if fut is None and as_of is None:
        return engine.snapshot()
    stamp = None if as_of is None else pd.Timestamp(_naive_utc(as_of))
    return engine.compute(fut, stamp), False


def _rows(snap: Snapshot, keys: list[tuple[Any, Any]], field: str) -> np.ndarray:
    out = np.empty(len(keys), dtype=np.int64)
    for i, key in enumerate(keys):
        j = snap.index.get(key)
        if j is None:
            raise _fail(f"{field}[{i}]", f"unknown SKU-store (sku={key[0]!r}, store={key[1]!r})")
        out[i] = j
    return out


def _keys(engine: ForecastEngine, items: list[SeriesKey] | list[Any]) -> list[tuple[Any, Any]]:
    return [(engine.label(s.sku, "sku"), engine.label(s.store, "store")) for s in items]


def forecast(body: ForecastRequest, request: Request) -> Any:
    """Forecasts (mean and quantiles) for the listed SKU-stores, or all, up to ``horizon`` days."""
    engine = _engine(request)
    f = engine.forecaster
    limit = request.app.state.limits.max_series
    horizon = int(f.horizon) if body.horizon is None else body.horizon
    if horizon > f.horizon:
        raise _fail("horizon", f"{horizon} is beyond the model's horizon of {f.horizon} days")
    levels = [float(q) for q in f.quantiles_] if body.quantiles is None else body.quantiles
    for i, q in enumerate(levels):
        if not 0.0 < q < 1.0:
            raise _fail(f"quantiles[{i}]", f"{q!r} is not strictly between 0 and 1")
    if body.series is not None:
        _cap(len(body.series), limit, "series", "series", "max_series")
    snap, stale = _snapshot(engine, body.future, body.as_of)
    if body.series is None:
        _cap(len(snap.ids), limit, "series", "series (all of the model's)", "max_series; list them")
        rows = np.arange(len(snap.ids))
    else:
        rows = _rows(snap, _keys(engine, body.series), "series")
    names = [quantile_name(q) for q in levels]
    if horizon == snap.mean.shape[1] and names == list(snap.quantiles):
        text = ",".join(_cached_series(snap, rows, names))  # the common request: served from the snapshot
    else:
        text = ",".join(_render(snap, rows, horizon, names, f.distribution_))
    head = {
        "horizon": horizon,
        "quantiles": names,
        "covariates_source": snap.covariates_source,
        "stale": stale,
    }
    content = json.dumps(head, separators=(",", ":"))[:-1] + ',"rows":[' + text + "]}"
    return Response(content=content, media_type="application/json")


def _render(snap: Snapshot, rows: np.ndarray, horizon: int, names: list[str], dist: Any) -> list[str]:
    """The JSON rows of each series in ``rows`` (one string per series, without brackets)."""
    flat = (rows[:, None] * snap.mean.shape[1] + np.arange(horizon)[None, :]).reshape(-1)
    mean = snap.mean.reshape(-1)[flat]
    if all(n in snap.quantiles for n in names):
        qv = [snap.quantiles[n].reshape(-1)[flat] for n in names]
    else:
        q = dist.quantiles(mean, np.repeat(rows, horizon), tuple(levels_of(names)))
        qv = [q[:, j] for j in range(len(names))]
    labels = [snap.labels[i] for i in np.repeat(rows, horizon).tolist()]
    dates = snap.date_text.reshape(-1)[flat].tolist()
    out = [
        {
            "sku": key[0],
            "store": key[1],
            "date": day,
            "forecast": m,
            "quantiles": dict(zip(names, qs, strict=True)),
        }
        for key, day, m, *qs in zip(labels, dates, _clean(mean), *map(_clean, qv), strict=True)
    ]
    return [
        json.dumps(out[k : k + horizon], separators=(",", ":"))[1:-1] for k in range(0, len(out), horizon)
    ]


def levels_of(names: list[str]) -> list[float]:
    """Quantile levels from their column names (``p2.5`` -> 0.025)."""
    return [float(n[1:]) / 100 for n in names]


def _cached_series(snap: Snapshot, rows: np.ndarray, names: list[str]) -> list[str]:
    cache = snap.rendered
    wanted = rows.tolist()
    missing = np.asarray(sorted({i for i in wanted if i not in cache}), dtype=np.int64)
    if missing.size:
        texts = _render(snap, missing, snap.mean.shape[1], names, None)
        cache.update(zip(missing.tolist(), texts, strict=True))
    return [cache[i] for i in wanted]


def _policy(body: OrdersRequest) -> Any:
    from pullcast.replenish import Newsvendor, OrderUpTo, SSPolicy

    p = body.policy
    if p.kind == "newsvendor":
        return Newsvendor()
    if p.kind == "ss":
        return SSPolicy(service_level=p.service_level, cover_days=p.cover_days)
    return OrderUpTo(service_level=p.service_level, service_type=p.service_type)


def orders(body: OrdersRequest, request: Request) -> Any:
    """Order proposals with reasons, from sample paths of the forecast, for the given inventory."""
    from pullcast.replenish import ReplenishParams, SamplePaths, propose_orders

    engine = _engine(request)
    lim = request.app.state.limits
    _cap(len(body.inventory), lim.max_series, "inventory", "inventory rows", "max_series")
    _cap(body.n_paths, lim.max_paths, "n_paths", "sample paths per series", "max_paths")
    pb = body.params
    params = ReplenishParams(
        lead_time=pb.lead_time,
        review_period=pb.review_period,
        case_pack=pb.case_pack,
        moq=pb.moq,
        shelf_capacity=float("inf") if pb.shelf_capacity is None else pb.shelf_capacity,
        shelf_life=pb.shelf_life,
        unit_cost=pb.unit_cost,
        price=pb.price,
        salvage=pb.salvage,
        holding_cost=pb.holding_cost,
        lost_sale_penalty=pb.lost_sale_penalty,
    )
    policy = _policy(body)
    snap, _ = _snapshot(engine, body.future, None)
    keys = _keys(engine, body.inventory)
    rows = _rows(snap, keys, "inventory")
    if len(set(keys)) != len(keys):
        raise _fail("inventory", "a SKU-store is listed more than once")
    paths = engine.sample_paths(snap, rows, body.n_paths, body.seed)
    inv = pd.DataFrame(
        {
            "sku": [k[0] for k in keys],
            "store": [k[1] for k in keys],
            "on_hand": [r.on_hand for r in body.inventory],
            "on_order": [r.on_order for r in body.inventory],
        }
    )
    if any(r.arrival_date is not None for r in body.inventory):
        inv["arrival_date"] = pd.to_datetime([r.arrival_date for r in body.inventory])
    first = snap.dates[rows, 0]
    parts = []
    for day in np.unique(first):
        g = np.flatnonzero(first == day)
        ids = snap.ids.iloc[rows[g]].reset_index(drop=True)[["sku", "store"]]
        sp = SamplePaths(ids, paths[g], pd.DatetimeIndex(snap.dates[rows[g[0]]]))
        parts.append(propose_orders(sp, inv.iloc[g].reset_index(drop=True), policy=policy, params=params))
    table = pd.concat(parts, ignore_index=True)
    cols = ["sku", "store", "order_date", "arrival_date", "order_qty", "on_hand", "on_order",
            "protection_demand", "safety_stock", "target_level", "pack_rounding", "expected_leftover",
            "expected_lost_sales", "reason"]  # fmt: skip
    out = [{c: _py(v) for c, v in zip(cols, rec, strict=True)} for rec in table[cols].itertuples(index=False)]
    for o in out:
        for c in ("order_qty", "on_hand", "on_order", "protection_demand", "safety_stock", "target_level",
                  "pack_rounding", "expected_leftover", "expected_lost_sales"):  # fmt: skip
            o[c] = _num(o[c])
        o["reason"] = str(o["reason"])
    return JSONResponse({"orders": out})
