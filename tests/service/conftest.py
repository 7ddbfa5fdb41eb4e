"""One small fitted model for the service tests (fit once per session; LightGBM is slow on 2 shared cores)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("duckdb")
pytest.importorskip("httpx")

KEY = "test-key-0123456789"

# starlette >= 1.x warns once, on import, that its TestClient wants the httpx2 package instead of httpx;
# import it here with that one warning silenced (the dev extra may list httpx2 to drop this).
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    import starlette.testclient  # noqa: F401


@dataclass(frozen=True)
class Fitted:
    """A saved model and the data after its training window (for ingest tests)."""

    model_dir: Path
    history: pd.DataFrame
    later_sales: pd.DataFrame
    later_events: pd.DataFrame
    events: pd.DataFrame
    horizon: int


@pytest.fixture(scope="session")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> Fitted:
    from pullcast import Forecaster
    from pullcast.datasets import make_retail
    from pullcast.models.lgbm import GlobalLGBM

    sales, events, stores = make_retail(n_skus=6, n_stores=2, n_days=150, seed=3)
    cutoff = sales["date"].max() - pd.Timedelta(days=7)
    history = sales[sales["date"] <= cutoff]
    arrived = pd.to_datetime(events["arrived_at"])
    known = events[arrived <= cutoff + pd.Timedelta(days=1)]
    later = events[arrived > cutoff + pd.Timedelta(days=1)]
    small = GlobalLGBM(n_estimators=40, num_leaves=15, min_data_in_leaf=20, params={"num_threads": 1})
    f = Forecaster(horizon=7, max_rows=8_000, verbose=False, model=small)
    f.fit(history, signals=known, stores=stores)
    model_dir = tmp_path_factory.mktemp("model") / "m"
    f.save(model_dir)
    return Fitted(
        model_dir=model_dir,
        history=history.reset_index(drop=True),
        later_sales=sales[sales["date"] > cutoff].reset_index(drop=True),
        later_events=later.reset_index(drop=True),
        events=known.reset_index(drop=True),
        horizon=7,
    )


def events_json(frame: pd.DataFrame) -> list[dict[str, object]]:
    """Signal events as the JSON the API takes."""
    out = []
    for r in frame.itertuples(index=False):
        row: dict[str, object] = {
            "sku": r.sku,
            "time": pd.Timestamp(r.time).isoformat(),
            "channel": r.channel,
            "value": float(r.value),
        }
        for col in ("store", "region"):
            v = getattr(r, col, None)
            if isinstance(v, str):
                row[col] = v
        if not pd.isna(r.arrived_at):
            row["arrived_at"] = pd.Timestamp(r.arrived_at).isoformat()
        out.append(row)
    return out


def sales_json(
    frame: pd.DataFrame, covariates: tuple[str, ...] = ("price", "promo")
) -> list[dict[str, object]]:
    """Sales rows as the JSON the API takes."""
    out = []
    for r in frame.to_dict("records"):
        row: dict[str, object] = {
            "sku": r["sku"],
            "store": r["store"],
            "date": pd.Timestamp(r["date"]).date().isoformat(),
            "units": float(r["units"]),
            "covariates": {c: float(r[c]) for c in covariates},
        }
        if "on_hand" in r and not pd.isna(r["on_hand"]):
            row["on_hand"] = float(r["on_hand"])
        out.append(row)
    return out


def carried_forward(history: pd.DataFrame, horizon: int, covariates: tuple[str, ...] = ("price", "promo")):
    """Reference twin of the service's default future: last known covariates held for ``horizon`` days."""
    last = history.sort_values("date").groupby(["sku", "store"], as_index=False).last()
    rows = []
    for h in range(1, horizon + 1):
        rows.append(last.assign(date=last["date"] + pd.Timedelta(days=h)))
    return pd.concat(rows, ignore_index=True)[["sku", "store", "date", *covariates]]
