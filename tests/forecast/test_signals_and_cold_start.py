"""Signals in the Forecaster (arrival-time honesty, the gate, update with events) and cold starts."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from pullcast import Forecaster, backtest
from pullcast.errors import ConfigError

FAST = {"verbose": False, "max_rows": 20_000}


def _cut(frame: pd.DataFrame, days: int) -> pd.Timestamp:
    return frame["date"].max() - pd.Timedelta(days=days)


@pytest.fixture(scope="module")
def fitted_with_signals(retail):
    sales, events, stores = retail
    cut = _cut(sales, 8)
    history = sales[sales["date"] <= cut]
    f = Forecaster(horizon=7, signal_gate=None, **FAST).fit(history, signals=events, stores=stores)
    return f, history, events, stores, cut


def test_events_that_arrive_after_the_origin_change_nothing(fitted_with_signals) -> None:
    f, history, events, stores, cut = fitted_with_signals
    future = f.predict(history.assign(date=history["date"] + pd.Timedelta(days=7)))  # planned prices
    known = events[pd.to_datetime(events["arrived_at"]) < cut + pd.Timedelta(days=1)]
    g = Forecaster(horizon=7, signal_gate=None, **FAST).fit(history, signals=known, stores=stores)
    pd.testing.assert_frame_equal(
        g.predict(history.assign(date=history["date"] + pd.Timedelta(days=7))), future
    )
    assert set(f.state_.signals) == {"search", "wishlist", "social", "trend"}


def test_signal_report_lists_every_channel(retail) -> None:
    sales, events, stores = retail
    f = Forecaster(horizon=7, **FAST).fit(sales, signals=events, stores=stores)
    report = f.signal_report_
    assert sorted(report["channel"]) == ["search", "social", "trend", "wishlist"]
    assert {"fva", "kept", "reason", "lead_days"} <= set(report.columns)
    dropped = report.loc[~report["kept"], "channel"]
    assert not any(c.startswith(tuple(f"sig_{d}_" for d in dropped)) for c in f.feature_names_)
    np.testing.assert_allclose(report["fva"], 1 - report["wape_with"] / report["wape_without"])


def test_update_with_sales_and_events_moves_the_origin(fitted_with_signals, retail) -> None:
    f, history, events, stores, cut = fitted_with_signals
    sales = retail[0]
    day = sales[sales["date"] == cut + pd.Timedelta(days=1)]
    new_events = events[
        (pd.to_datetime(events["arrived_at"]) >= cut + pd.Timedelta(days=1))
        & (pd.to_datetime(events["arrived_at"]) < cut + pd.Timedelta(days=2))
    ]
    step = f
    step.update(sales=day, signals=new_events)
    assert step.last_ingest_.accepted == len(new_events)
    later = sales[(sales["date"] > cut + pd.Timedelta(days=1))]
    fc = step.predict(later)
    assert fc["date"].min() == cut + pd.Timedelta(days=2)


def test_cold_start_for_a_never_seen_sku(retail) -> None:
    sales = retail[0]
    cut = _cut(sales, 7)
    history, future = sales[sales["date"] <= cut], sales[sales["date"] > cut]
    f = Forecaster(horizon=7, **FAST).fit(history)
    newcomer = future[future["sku"] == future["sku"].iloc[0]].assign(sku="BRAND-NEW")
    fc = f.predict(pd.concat([future, newcomer]))
    cold = fc[fc["sku"] == "BRAND-NEW"]
    assert len(cold) == 7 * newcomer["store"].nunique()
    assert cold["forecast"].notna().all() and (cold["forecast"] > 0).all()
    assert (cold["p90"] >= cold["p10"]).all()
    # the model itself is unchanged: the next plain predict has no cold-start rows
    assert "BRAND-NEW" not in set(f.predict(future)["sku"])
    with_new = pd.concat([future, newcomer])
    paths = f.sample_paths(10, future=with_new)
    ids = f.forecast_ids(with_new)
    assert paths.shape[0] == len(ids) == len(f.ids_) + newcomer["store"].nunique()
    assert (ids["sku"].iloc[len(f.ids_) :] == "BRAND-NEW").all()


def test_events_that_match_no_series_warn(retail) -> None:
    from pullcast.errors import UnmatchedSignalWarning

    sales, events, stores = retail
    sales = sales.drop(columns=["price", "promo"])
    codes = {s: i for i, s in enumerate(sorted(sales["sku"].unique()))}
    int_sales = sales.assign(sku=sales["sku"].map(codes))  # integer SKUs; the events keep strings
    with pytest.warns(UnmatchedSignalWarning, match=r"100%.*1 and '1' differ"):
        Forecaster(horizon=7, signal_gate=None, **FAST).fit(int_sales, events, stores)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnmatchedSignalWarning)
        Forecaster(horizon=7, signal_gate=None, **FAST).fit(sales, events, stores)


def test_channels_restrict_the_signals(retail) -> None:
    sales, events, stores = retail
    f = Forecaster(horizon=7, **FAST).fit(sales, signals=events, stores=stores, channels=["search", "trend"])
    assert sorted(f.signal_report_["channel"]) == ["search", "trend"]
    assert set(f.state_.signals) == {"search", "trend"}
    assert not any(c.startswith(("sig_social_", "sig_wishlist_")) for c in f.feature_names_)
    with pytest.raises(ConfigError, match="radio"):
        Forecaster(horizon=7, **FAST).fit(sales, signals=events, stores=stores, channels=["radio"])


def test_backtest_holds_the_first_windows_gate(retail, monkeypatch: pytest.MonkeyPatch) -> None:
    sales, events, stores = retail
    calls: list[tuple[object, object]] = []
    fit = Forecaster.fit

    def spy(self: Forecaster, *args: object, **kwargs: object) -> Forecaster:
        calls.append((self.signal_gate, kwargs.get("channels")))
        return fit(self, *args, **kwargs)

    monkeypatch.setattr(Forecaster, "fit", spy)
    template = Forecaster(horizon=7, **FAST)
    backtest(template, sales, signals=events, stores=stores, n_windows=3, step=7)
    first = Forecaster(horizon=7, **FAST).fit(
        sales[sales["date"] <= _cut(sales, 7 + 14)], signals=events, stores=stores
    )
    kept = sorted(first.signal_report_.loc[first.signal_report_["kept"], "channel"])
    assert calls[1] == calls[2] == (None, kept) and calls[0] == (template.signal_gate, None)  # [3]: first
    calls.clear()
    backtest(template, sales, signals=events, stores=stores, n_windows=2, step=7, regate=True)
    assert calls == [(template.signal_gate, None)] * 2
