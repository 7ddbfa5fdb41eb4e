"""``evaluate`` and ``fva``: tidy tables, derived horizons, grouping, and checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pullcast.errors import ColumnError, ConfigError, DataError, FrequencyError
from pullcast.metrics import add_horizon, evaluate, fva, mae, rmsse, wape


def _backtest(seed: int = 0, model: str | None = None, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for cutoff in pd.to_datetime(["2024-01-10", "2024-01-17"]):
        for sku in ("A", "B", "C"):
            for h in range(1, 4):
                y = float(rng.integers(0, 10))
                f = y + rng.normal(0, 2) + shift
                rows.append(
                    {
                        "sku": sku,
                        "store": "s1",
                        "date": cutoff + pd.Timedelta(days=h),
                        "cutoff": cutoff,
                        "units": y,
                        "forecast": f,
                        "p10": f - 3,
                        "p50": f,
                        "p90": f + 3,
                    }
                )
    frame = pd.DataFrame(rows)
    if model is not None:
        frame["model"] = model
    return frame


def _train() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    dates = pd.date_range("2023-12-01", "2024-01-20")
    parts = [
        pd.DataFrame(
            {"sku": s, "store": "s1", "date": dates, "units": rng.integers(0, 9, dates.size).astype(float)}
        )
        for s in ("A", "B", "C")
    ]
    return pd.concat(parts, ignore_index=True)


def test_add_horizon():
    cv = _backtest()
    out = add_horizon(cv)
    assert (out["horizon"] == (out["date"] - out["cutoff"]).dt.days).all()
    assert out["horizon"].min() == 1
    weekly = pd.DataFrame(
        {"date": pd.to_datetime(["2024-01-14", "2024-01-28"]), "cutoff": pd.to_datetime(["2024-01-07"] * 2)}
    )
    assert add_horizon(weekly, freq="W-SUN")["horizon"].tolist() == [1, 3]
    with pytest.raises(FrequencyError):
        add_horizon(weekly.assign(date=weekly["cutoff"]), freq="W-SUN")
    with pytest.raises(ColumnError, match="cutoff"):
        add_horizon(weekly.drop(columns=["cutoff"]))


def test_evaluate_by_horizon_matches_direct_metrics():
    cv = _backtest()
    table = evaluate(cv, metrics=["wape", "mae"])
    assert list(table.columns) == ["horizon", "metric", "value"]
    assert sorted(table["horizon"].unique()) == [1, 2, 3]
    h = add_horizon(cv)
    for horizon in (1, 2, 3):
        part = h[h["horizon"] == horizon]
        got = table.set_index(["horizon", "metric"])["value"]
        assert got[(horizon, "wape")] == pytest.approx(wape(part))
        assert got[(horizon, "mae")] == pytest.approx(mae(part))


def test_evaluate_defaults_and_models():
    cv = pd.concat([_backtest(0, "good"), _backtest(0, "bad", shift=5.0)], ignore_index=True)
    table = evaluate(cv, by=(), train=_train())
    assert list(table.columns) == ["model", "metric", "value"]
    metrics = set(table["metric"])
    assert {"wape", "mae", "rmse", "bias", "mase", "rmsse", "wrmsse"} <= metrics
    assert {"pinball_p10", "pinball_p50", "pinball_p90", "coverage_p10_p90"} <= metrics
    values = table.set_index(["model", "metric"])["value"]
    assert values[("bad", "bias")] == pytest.approx(values[("good", "bias")] + 5.0)
    assert values[("good", "rmsse")] == pytest.approx(rmsse(_backtest(0), _train()))
    assert values[("good", "rmsse")] < values[("bad", "rmsse")]


def test_evaluate_custom_and_errors():
    cv = _backtest()

    def max_error(frame: pd.DataFrame) -> float:
        return float((frame["units"] - frame["forecast"]).abs().max())

    table = evaluate(cv, metrics=[max_error, "coverage_p10_p90"], by=("sku",))
    assert set(table["metric"]) == {"max_error", "coverage_p10_p90"}
    with pytest.raises(ConfigError, match="nope"):
        evaluate(cv, metrics=["nope"])
    with pytest.raises(ColumnError, match="region"):
        evaluate(cv, by=("region",))
    with pytest.raises(ConfigError, match="train"):
        evaluate(cv, metrics=["rmsse"])
    bad = cv.copy()
    bad.loc[4, "units"] = np.nan
    with pytest.raises(DataError, match="units"):
        evaluate(bad, metrics=["wape"])


def test_fva_with_model_column():
    good = _backtest(0, "good")
    bad = _backtest(0, "naive", shift=5.0)
    table = fva(pd.concat([good, bad], ignore_index=True), "naive", metric="mae")
    assert list(table.columns) == ["model", "metric", "value", "baseline", "baseline_value", "fva", "fva_pct"]
    row = table.iloc[0]
    assert row["model"] == "good" and len(table) == 1
    assert row["value"] == pytest.approx(mae(good))
    assert row["baseline_value"] == pytest.approx(mae(bad))
    assert row["fva"] == pytest.approx(mae(bad) - mae(good))
    assert row["fva_pct"] == pytest.approx(1 - mae(good) / mae(bad))


def test_fva_with_baseline_column_and_by():
    cv = _backtest()
    cv["snaive"] = cv["units"] + 2.0
    table = fva(cv, "snaive", by=("horizon",))
    assert list(table["horizon"]) == [1, 2, 3]
    h = add_horizon(cv)
    part = h[h["horizon"] == 2]
    row = table[table["horizon"] == 2].iloc[0]
    assert row["baseline_value"] == pytest.approx(2.0 * len(part) / part["units"].abs().sum())
    assert row["value"] == pytest.approx(wape(part))


def test_fva_checks():
    good = _backtest(0, "good")
    short = _backtest(0, "naive").iloc[:-1]
    with pytest.raises(DataError, match="same rows"):
        fva(pd.concat([good, short], ignore_index=True), "naive")
    with pytest.raises(DataError, match="baseline"):
        fva(good, "missing_model")
    with pytest.raises(ConfigError):
        fva(good, "good", metric="coverage")
