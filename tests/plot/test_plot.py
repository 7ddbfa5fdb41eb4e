"""pullcast.plot: figures render to PNG and draw what the frames say; inventory traces match a reference."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from matplotlib.collections import PolyCollection  # noqa: E402

from pullcast.errors import ConfigError, DataError  # noqa: E402
from pullcast.plot import inventory_trace, plot_backtest, plot_forecast, plot_inventory  # noqa: E402
from pullcast.plot._forecast import quantile_bands  # noqa: E402
from pullcast.replenish import OrderUpTo, ReplenishParams  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _png(fig, tmp_path, name):
    path = tmp_path / f"{name}.png"
    fig.savefig(path, dpi=50)
    assert path.read_bytes()[:8] == PNG_MAGIC
    assert path.stat().st_size > 1000


@pytest.fixture(scope="module")
def frames():
    rng = np.random.default_rng(0)
    dates = pd.date_range("2024-01-01", periods=40, freq="D")
    hist = pd.DataFrame(
        [(s, st_, d, float(rng.poisson(3))) for s in ("A", "B") for st_ in ("X", "Y") for d in dates],
        columns=["sku", "store", "date", "units"],
    )
    fdates = pd.date_range(dates[-1] + pd.Timedelta(days=1), periods=5, freq="D")
    fc = pd.DataFrame([(s, st_, d) for s in ("A", "B") for st_ in ("X", "Y") for d in fdates],
                      columns=["sku", "store", "date"])  # fmt: skip
    fc["forecast"] = 3.0
    for q, v in [("p10", 1.0), ("p25", 2.0), ("p50", 3.0), ("p75", 4.0), ("p90", 5.0)]:
        fc[q] = v
    # SKU-level "search" arriving at various hours (some the next day); store-level "wishlist"
    # one report per SKU and time (a repeated (sku, time) would be a duplicate or a revision)
    times = dates[np.concatenate([rng.permutation(40)[:30], rng.permutation(40)[:30]])]
    events = pd.DataFrame({
        "sku": np.repeat(["A", "B"], 30), "time": times, "channel": "search",
        "value": rng.integers(1, 9, 60).astype(float),
        "arrived_at": times + pd.to_timedelta(rng.integers(0, 40, 60), unit="h"),
    })  # fmt: skip
    wish = pd.DataFrame({"sku": "A", "store": "X", "time": dates[::3], "channel": "wishlist", "value": 2.0})
    return hist, fc, pd.concat([events, wish], ignore_index=True)


def test_quantile_bands_pairs_symmetric_levels():
    cols = ["sku", "forecast", "p2.5", "p10", "p50", "p90", "p97.5", "p75"]
    assert quantile_bands(cols) == [("p2.5", "p97.5"), ("p10", "p90")]


def test_plot_forecast_draws_bands_lines_and_arrival_aligned_signal(frames, tmp_path):
    hist, fc, events = frames
    fig = plot_forecast(hist, fc, events, skus=["A", "B"], store="X", history_days=10)
    _png(fig, tmp_path, "forecast")
    main = [ax for ax in fig.axes if ax.get_ylabel() == "units"]
    twins = [ax for ax in fig.axes if ax.get_ylabel() == "signal (as of arrival)"]
    assert len(main) == 2 and len(twins) == 2
    assert [ax.get_title() for ax in main] == ["A @ X", "B @ X"]
    for ax in main:
        assert sum(isinstance(c, PolyCollection) for c in ax.collections) == 2  # p10-p90 and p25-p75
        labels = [ln.get_label() for ln in ax.get_lines()]
        assert {"sales", "p50", "forecast (mean)"} <= set(labels)
        sales = next(ln for ln in ax.get_lines() if ln.get_label() == "sales")
        assert len(sales.get_xdata()) == 10  # history_days before the first forecast date
    # reference: SKU A's search values summed by the calendar day they arrived on
    ev = events[(events["sku"] == "A") & (events["channel"] == "search")]
    ref = ev.groupby(ev["arrived_at"].dt.normalize())["value"].sum()
    line = next(ln for ln in twins[0].get_lines() if ln.get_label() == "signal: search")
    got = pd.Series(np.asarray(line.get_ydata(), float), index=pd.DatetimeIndex(line.get_xdata()))
    want = ref.reindex(got.index, fill_value=0.0)
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy())
    assert {"signal: search", "signal: wishlist"} == {ln.get_label() for ln in twins[0].get_lines()}


def test_plot_forecast_without_signals_and_default_series(frames, tmp_path):
    hist, fc, _ = frames
    fig = plot_forecast(hist, fc.drop(columns=["p25", "p75"]))
    _png(fig, tmp_path, "plain")
    assert len(fig.axes) == 1 and fig.axes[0].get_title() == "A @ X"
    assert sum(isinstance(c, PolyCollection) for c in fig.axes[0].collections) == 1


def test_plot_forecast_errors_name_the_fault(frames):
    hist, fc, events = frames
    with pytest.raises(DataError, match="'NOPE'"):
        plot_forecast(hist, fc, skus="NOPE")
    with pytest.raises(DataError, match="store 'Z'"):
        plot_forecast(hist, fc, skus="A", store="Z")
    with pytest.raises(ConfigError, match="social"):
        plot_forecast(hist, fc, events, skus="A", channels=["social"])
    with pytest.raises(DataError, match="no history"):
        plot_forecast(hist[hist["sku"] != "B"], fc, skus="B")


def _cv(rng):
    rows = []
    for model, noise in [("good", 0.5), ("bad", 3.0)]:
        for sku in ("A", "B", "C"):
            for h in range(1, 6):
                actual = float(rng.poisson(5))
                cut = pd.Timestamp("2024-02-01")
                fcst = max(actual + rng.normal(0, noise), 0.0)
                rows.append((sku, "X", cut + pd.Timedelta(days=h), cut, actual, fcst, model))
    return pd.DataFrame(rows, columns=["sku", "store", "date", "cutoff", "units", "forecast", "model"])


def test_plot_backtest_lines_equal_hand_computed_wape(tmp_path):
    cv = _cv(np.random.default_rng(1))
    fig = plot_backtest(cv, metric="wape")
    _png(fig, tmp_path, "backtest")
    ax = fig.axes[0]
    assert ax.get_ylabel() == "wape" and ax.get_xlabel().startswith("horizon")
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    assert set(lines) == {"good", "bad"}
    for model, ln in lines.items():
        sub = cv[cv["model"] == model].assign(h=lambda d: (d["date"] - d["cutoff"]).dt.days)
        err = (sub["units"] - sub["forecast"]).abs().groupby(sub["h"]).sum()
        ref = err / sub["units"].groupby(sub["h"]).sum()  # WAPE = sum|y - f| / sum y
        np.testing.assert_allclose(ln.get_xdata(), ref.index.to_numpy())
        np.testing.assert_allclose(ln.get_ydata(), ref.to_numpy())
    with pytest.raises(ConfigError):
        plot_backtest(cv, metric="not-a-metric")


def _reference_trace(demand, start, level, lead, review, pack):
    """Plain-Python periodic-review order-up-to with lost sales (arrivals, then review, then demand)."""
    on_hand, pipeline, due = float(start), 0.0, {}
    out = []
    for d, dem in enumerate(demand):
        arrivals = due.pop(d, 0.0)
        on_hand += arrivals
        pipeline -= arrivals
        ordered = 0.0
        if d % review == 0 and on_hand + pipeline < level:
            ordered = math.ceil((level - on_hand - pipeline) / pack - 1e-9) * pack
            if lead == 0:
                on_hand += ordered
                arrivals += ordered
            else:
                due[d + lead] = due.get(d + lead, 0.0) + ordered
                pipeline += ordered
        sold = min(dem, on_hand)
        on_hand -= sold
        out.append((dem, sold, dem - sold, on_hand, ordered, arrivals))
    return pd.DataFrame(out, columns=["demand", "sold", "lost_sales", "on_hand", "ordered", "arrivals"])


@settings(max_examples=15, deadline=None)
@given(
    demand=st.lists(st.integers(0, 9), min_size=1, max_size=12),
    start=st.integers(0, 20),
    level=st.integers(1, 30),
    lead=st.integers(0, 3),
    review=st.integers(1, 4),
    pack=st.sampled_from([1, 4]),
)
def test_inventory_trace_matches_reference(demand, start, level, lead, review, pack):
    dates = pd.date_range("2024-03-01", periods=len(demand), freq="D")
    frame = pd.DataFrame({"sku": "A", "store": "X", "date": dates, "units": np.asarray(demand, float)})
    other = frame.assign(sku="B", units=100.0)  # another series, ignored
    inv = pd.DataFrame({"sku": ["A", "B"], "store": "X", "on_hand": [float(start), 0.0]})
    params = ReplenishParams(lead_time=lead, review_period=review, case_pack=float(pack))
    got = inventory_trace(OrderUpTo(level=float(level)), pd.concat([frame, other]), inventory=inv,
                          sku="A", store="X", params=params)  # fmt: skip
    ref = _reference_trace(demand, start, level, lead, review, pack)
    for col in ref.columns:
        np.testing.assert_allclose(got[col].to_numpy(), ref[col].to_numpy(), err_msg=col)
    assert (got["markdown"] == 0).all() and (got["expired"] == 0).all()


def test_inventory_trace_season_end_markdown_and_plot(tmp_path):
    dates = pd.date_range("2024-03-01", periods=10, freq="D")
    frame = pd.DataFrame({"sku": "A", "store": "X", "date": dates, "units": 1.0})
    inv = pd.DataFrame({"sku": ["A"], "store": "X", "on_hand": [20.0]})
    params = ReplenishParams(lead_time=1, season_end=str(dates[4].date()))
    tr = inventory_trace(OrderUpTo(level=5.0), frame, inventory=inv, sku="A", store="X", params=params)
    # 20 units, 1 sold per day through the season end (day 4), the 15 left are marked down that day
    assert tr["sold"].tolist()[:5] == [1.0] * 5
    assert tr["markdown"].tolist()[:5] == [0.0, 0.0, 0.0, 0.0, 15.0]
    assert tr["ordered"].sum() == 0.0  # above the level all along
    fig = plot_inventory(tr, "A", "X")
    _png(fig, tmp_path, "inventory")
    top, bottom = fig.axes
    assert top.get_title() == "inventory of A @ X"
    assert {"demand"} <= {ln.get_label() for ln in bottom.get_lines()}
    with pytest.raises(DataError, match="'B'"):
        plot_inventory(tr, "B", "X")
    with pytest.raises(DataError, match="daily trajectory"):
        plot_inventory(object(), "A", "X")
