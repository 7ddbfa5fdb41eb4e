"""The ``pullcast`` command line: each subcommand on tiny files, checked against the library it wraps."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pullcast import Forecaster
from pullcast.cli import main
from pullcast.replenish import ORDER_COLUMNS


@dataclass(frozen=True)
class Files:
    root: Path
    sales: Path
    signals: Path
    stores: Path
    future: Path
    inventory: Path
    model: Path


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Files:
    from pullcast.datasets import make_retail

    root = tmp_path_factory.mktemp("cli")
    sales, events, stores = make_retail(n_skus=4, n_stores=2, n_days=120, seed=5)
    paths = Files(
        root=root,
        sales=root / "sales.csv",
        signals=root / "events.parquet",
        stores=root / "stores.csv",
        future=root / "future.parquet",
        inventory=root / "inventory.csv",
        model=root / "model",
    )
    sales.to_csv(paths.sales, index=False)
    events.to_parquet(paths.signals, index=False)
    stores.to_csv(paths.stores, index=False)
    last = sales[sales["date"] == sales["date"].max()]
    future = pd.concat([last.assign(date=last["date"] + pd.Timedelta(days=h)) for h in range(1, 8)])
    future[["sku", "store", "date", "price", "promo"]].to_parquet(paths.future, index=False)
    last[["sku", "store", "on_hand"]].to_csv(paths.inventory, index=False)
    args = [
        "fit",
        "--sales",
        str(paths.sales),
        "--signals",
        str(paths.signals),
        "--stores",
        str(paths.stores),
        "--out",
        str(paths.model),
        "--horizon",
        "7",
        "--max-rows",
        "4000",
        "--quiet",
    ]
    assert main(args) == 0
    return paths


def test_fit_writes_a_loadable_model(files: Files) -> None:
    f = Forecaster.load(files.model)
    assert f.horizon == 7 and len(f.ids_) == 8
    assert set(f.signal_report_["channel"]) == {"search", "wishlist", "social", "trend"}


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_forecast_equals_the_library(files: Files, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"fc{suffix}"
    assert (
        main(["forecast", "--model", str(files.model), "--future", str(files.future), "--out", str(out)]) == 0
    )
    got = pd.read_csv(out, parse_dates=["date"]) if suffix == ".csv" else pd.read_parquet(out)
    want = Forecaster.load(files.model).predict(pd.read_parquet(files.future))
    assert list(got.columns) == list(want.columns)
    assert (got["sku"].to_numpy() == want["sku"].to_numpy()).all()
    assert (pd.to_datetime(got["date"]).to_numpy() == want["date"].to_numpy()).all()
    np.testing.assert_allclose(got["forecast"], want["forecast"], rtol=1e-12)
    np.testing.assert_allclose(got["p90"], want["p90"], rtol=1e-12)


def test_orders(files: Files, tmp_path: Path) -> None:
    out = tmp_path / "orders.csv"
    args = [
        "orders",
        "--model",
        str(files.model),
        "--inventory",
        str(files.inventory),
        "--future",
        str(files.future),
        "--out",
        str(out),
        "--n-paths",
        "200",
    ]
    assert main(args) == 0
    orders = pd.read_csv(out)
    assert list(orders.columns) == ORDER_COLUMNS
    assert len(orders) == 8 and (orders["order_qty"] >= 0).all()
    want = (
        np.maximum(orders["target_level"] - orders["on_hand"] - orders["on_order"], 0)
        + orders["pack_rounding"]
    )
    np.testing.assert_allclose(orders["order_qty"], want)


def test_backtest(files: Files, tmp_path: Path) -> None:
    out = tmp_path / "cv.csv"
    args = [
        "backtest",
        "--sales",
        str(files.sales),
        "--out",
        str(out),
        "--horizon",
        "7",
        "--n-windows",
        "1",
        "--max-rows",
        "3000",
        "--quiet",
    ]
    assert main(args) == 0
    cv = pd.read_csv(out, parse_dates=["date", "cutoff"])
    assert {"sku", "store", "date", "cutoff", "forecast", "units", "p50"} <= set(cv.columns)
    sales = pd.read_csv(files.sales, parse_dates=["date"])
    assert cv["cutoff"].nunique() == 1 and cv["cutoff"].iloc[0] == sales["date"].max() - pd.Timedelta(days=7)
    actual = cv.merge(sales, on=["sku", "store", "date"], suffixes=("", "_sales"))
    assert len(actual) == len(cv) == 8 * 7
    np.testing.assert_array_equal(actual["units"], actual["units_sales"])


def test_errors_are_one_line_and_non_zero(
    files: Files, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["forecast", "--model", str(files.model), "--out", str(tmp_path / "x.csv")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--future" in err and "Traceback" not in err
    assert main(["forecast", "--model", str(tmp_path / "nope"), "--out", str(tmp_path / "x.csv")]) == 2
    assert "meta.json is missing" in capsys.readouterr().err
    assert main(["fit", "--sales", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "m")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["fit", "--sales", str(files.sales), "--out", str(tmp_path / "m"), "--signals", "x.txt"]) == 2
    assert ".csv or .parquet" in capsys.readouterr().err
    with pytest.raises(FileNotFoundError):
        main(["--debug", "fit", "--sales", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "m")])


def test_serve_refuses_to_start_without_keys(
    files: Files, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("fastapi")
    pytest.importorskip("uvicorn")
    monkeypatch.delenv("PULLCAST_API_KEYS", raising=False)
    assert main(["serve", "--model", str(files.model), "--db", str(tmp_path / "s.duckdb")]) == 2
    assert "no API key" in capsys.readouterr().err
    keys = tmp_path / "keys.txt"
    keys.write_text("not-a-digest\n")
    assert (
        main(
            [
                "serve",
                "--model",
                str(files.model),
                "--db",
                str(tmp_path / "s.duckdb"),
                "--api-key-file",
                str(keys),
            ]
        )
        == 2
    )
    assert "sha256" in capsys.readouterr().err


def test_hash_key(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("s3cret\n"))
    assert main(["hash-key"]) == 0
    assert capsys.readouterr().out.strip() == hashlib.sha256(b"s3cret").hexdigest()


def test_console_entry_and_demo_are_wired() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "pullcast", "--help"], capture_output=True, text=True, check=True
    )
    for command in ("demo", "fit", "forecast", "orders", "backtest", "serve", "hash-key"):
        assert command in out.stdout
    demo = subprocess.run(
        [sys.executable, "-m", "pullcast", "demo", "--help"], capture_output=True, text=True
    )
    assert demo.returncode == 0 and "--quick" in demo.stdout
