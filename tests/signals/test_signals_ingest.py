"""Ingestion: malformed frames raise typed errors, bad rows are rejected with reasons, counts reconcile."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pullcast.columns import Columns
from pullcast.errors import ColumnError, ConfigError, SignalError
from pullcast.signals import ChannelSpec, IngestReport, SignalStore

STORES = pd.DataFrame({"store": [1, 2], "region": ["N", "S"]})
SPECS = [
    ChannelSpec("search"),
    ChannelSpec("wish", level="store"),
    ChannelSpec("social", level="region", delay="1D"),
    ChannelSpec("mood", nonnegative=False, agg="mean"),
]


def _store(**kw: object) -> SignalStore:
    return SignalStore(SPECS, stores=STORES, skus=["a", "b"], **kw)  # type: ignore[arg-type]


def _frame(**cols: object) -> pd.DataFrame:
    base: dict[str, object] = {
        "sku": ["a"],
        "time": pd.to_datetime(["2024-01-10 08:00"]),
        "channel": ["search"],
        "value": [1.0],
    }
    base.update(cols)
    return pd.DataFrame(base)


# ---------------------------------------------------------------------- ChannelSpec
def test_channel_spec_validates() -> None:
    assert ChannelSpec("x", delay="2D").delay == timedelta(days=2)
    assert ChannelSpec("x", level="store").key_columns == ("sku", "store", "time")
    assert ChannelSpec("x").key_columns == ("sku", "time")
    assert ChannelSpec("x", dedupe_key=["sku", "id"]).dedupe_key == ("sku", "id")  # type: ignore[arg-type]
    for bad in (
        {"name": ""},
        {"name": "x", "level": "country"},
        {"name": "x", "agg": "max"},
        {"name": "x", "delay": "-1D"},
        {"name": "x", "delay": "soon"},
        {"name": "x", "dedupe_key": "sku"},
        {"name": "x", "dedupe_key": ("sku", "sku")},
        {"name": "x", "nonnegative": "yes"},
    ):
        with pytest.raises(ConfigError):
            ChannelSpec(**bad)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="twice"):
        SignalStore([ChannelSpec("x"), ChannelSpec("x")])


# ---------------------------------------------------------------------- malformed frames
def test_not_a_frame() -> None:
    with pytest.raises(SignalError, match="DataFrame"):
        _store().append([{"sku": "a"}])  # type: ignore[arg-type]


def test_missing_column_named_in_user_terms() -> None:
    store = SignalStore(SPECS, columns=Columns(sku="item_id"))
    with pytest.raises(ColumnError, match="item_id"):
        store.append(_frame())


def test_wrong_column_types() -> None:
    with pytest.raises(ColumnError, match="'value' must be numeric"):
        _store().append(_frame(value=["lots"]))
    with pytest.raises(ColumnError, match="'time' must hold timestamps"):
        _store().append(_frame(time=[1_700_000_000]))
    with pytest.raises(ColumnError, match="'arrived_at' must hold timestamps"):
        _store().append(_frame(arrived_at=[3.5]))


def test_timezone_mixing_is_refused() -> None:
    mixed = ["2024-01-10 08:00+01:00", "2024-01-10 08:00+02:00"]
    frame = pd.DataFrame({"sku": ["a", "a"], "time": mixed, "channel": "search", "value": 1.0})
    with pytest.raises(SignalError, match="'time' mixes timezones"):
        _store().append(frame)
    aware_naive = _frame(
        time=pd.to_datetime(["2024-01-10 08:00"]).tz_localize("UTC"),
        arrived_at=pd.to_datetime(["2024-01-11"]),
    )
    with pytest.raises(SignalError, match="tz-aware and tz-naive"):
        _store().append(aware_naive)
    store = _store()
    store.append(_frame())
    with pytest.raises(SignalError, match="holds tz-naive"):
        store.append(_frame(time=pd.to_datetime(["2024-01-10 08:00"]).tz_localize("UTC")))


def test_tz_aware_times_convert_to_the_store_timezone() -> None:
    t = pd.to_datetime(["2024-01-10 22:30"]).tz_localize("America/New_York")
    utc = _store()
    utc.append(_frame(time=t))
    assert utc.events()["arrived_at"].iloc[0] == pd.Timestamp("2024-01-11 03:30")
    local = _store(tz="America/New_York")
    local.append(_frame(time=t))
    assert local.events()["arrived_at"].iloc[0] == pd.Timestamp("2024-01-10 22:30")


# ---------------------------------------------------------------------- bad rows
def test_each_bad_row_gets_its_reason() -> None:
    t = pd.Timestamp("2024-01-10 08:00")
    rows = [
        ("a", None, None, "search", t, None, 1.0, ""),
        ("a", None, None, "tiktok", t, None, 1.0, "unknown channel"),
        (None, None, None, "search", t, None, 1.0, "missing sku"),
        ("zz", None, None, "search", t, None, 1.0, "unknown sku"),
        ("a", None, None, "wish", t, None, 1.0, "missing store"),
        ("a", 9, None, "wish", t, None, 1.0, "unknown store"),
        ("a", None, None, "social", t, None, 1.0, "missing region"),
        ("a", None, "W", "social", t, None, 1.0, "unknown region"),
        ("a", None, None, "search", t, None, np.nan, "NaN value"),
        ("a", None, None, "search", t, None, np.inf, "infinite value"),
        ("a", None, None, "search", t, None, -2.0, "negative value"),
        ("a", None, None, "mood", t, None, -2.0, ""),
        ("a", None, None, "search", None, None, 1.0, "missing time"),
        ("a", None, None, "search", "the 10th", None, 1.0, "unparseable time"),
        ("a", None, None, "search", t, "later", 1.0, "unparseable arrived_at"),
        ("a", None, None, "search", t, t - pd.Timedelta(hours=1), 1.0, "time after arrived_at"),
    ]
    cols = ["sku", "store", "region", "channel", "time", "arrived_at", "value"]
    frame = pd.DataFrame([r[:-1] for r in rows], columns=cols, index=np.arange(100, 100 + len(rows)))
    frame["time"] = frame["time"].astype(object)
    frame["arrived_at"] = frame["arrived_at"].astype(object)
    store = _store()
    report = store.append(frame)
    want = [r[-1] for r in rows]
    assert report.n_rows == len(rows) == report.accepted + report.rejected
    assert report.accepted == want.count("")
    bad = [i for i, w in enumerate(want) if w]
    assert report.rejected_rows.index.tolist() == (100 + np.asarray(bad)).tolist()
    assert report.rejected_rows["reason"].tolist() == [want[i] for i in bad]
    assert list(report.rejected_rows.columns) == [*cols, "reason"]
    assert store.rejected()["reason"].tolist() == [want[i] for i in bad]
    assert report.reasons["unknown channel"] == 1


GOOD = {"sku": "a", "store": 1, "region": "N", "time": "2024-01-10 08:00", "value": 1.0}
BREAKS = {
    "unknown channel": {"channel": "tiktok"},
    "unknown sku": {"sku": "zz"},
    "NaN value": {"value": np.nan},
    "negative value": {"value": -1.0},
    "unparseable time": {"time": "noon"},
    "time after arrived_at": {"arrived_at": "2024-01-09 00:00"},
}


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.sampled_from(["search", "wish", "social", "mood"]), st.sampled_from(["", *BREAKS])),
        max_size=40,
    )
)
def test_accepted_plus_rejected_reconciles(rows: list[tuple[str, str]]) -> None:
    records = []
    for channel, brk in rows:
        rec = {**GOOD, "channel": channel, "arrived_at": None, **BREAKS.get(brk, {})}
        records.append(rec)
    frame = pd.DataFrame(
        records, columns=["sku", "store", "region", "channel", "time", "arrived_at", "value"]
    )
    frame["time"] = frame["time"].astype(object)
    frame["arrived_at"] = frame["arrived_at"].astype(object)
    frame["value"] = frame["value"].astype(float)
    store = _store()
    report = store.append(frame)
    want = []
    for channel, brk in rows:
        # "mood" allows negative values
        want.append("" if (brk == "negative value" and channel == "mood") else brk)
    assert report.accepted + report.rejected == report.n_rows == len(rows)
    assert report.rejected_rows["reason"].tolist() == [w for w in want if w]
    assert len(store) == report.accepted == want.count("")
    assert isinstance(report, IngestReport)


# ---------------------------------------------------------------------- dedupe and inference
def test_duplicates_counted_once_and_extra_dedupe_columns() -> None:
    spec = ChannelSpec("orders", dedupe_key=("sku", "order_id"))
    store = SignalStore([spec])
    t = pd.to_datetime(["2024-01-10 08:00"] * 3)
    frame = pd.DataFrame(
        {"sku": "a", "time": t, "channel": "orders", "value": [2.0, 2.0, 2.0], "order_id": [1, 1, 2]}
    )
    report = store.append(frame)
    assert (report.accepted, report.duplicates, report.revisions) == (3, 1, 0)
    missing = store.append(frame.drop(columns="order_id"))
    assert missing.reasons == {"missing dedupe key column": 3}


def test_late_original_after_revision_is_reordered_by_arrival() -> None:
    """The report that arrived first is the original even when appended last."""
    store = SignalStore([ChannelSpec("k")])
    t = pd.Timestamp("2024-01-10 08:00")
    r1 = store.append(_frame(channel=["k"], time=[t], arrived_at=[t + pd.Timedelta(days=2)], value=[5.0]))
    r2 = store.append(_frame(channel=["k"], time=[t], arrived_at=[t + pd.Timedelta(days=1)], value=[3.0]))
    assert (r1.revisions, r2.revisions) == (0, 0)
    ev = store.events().sort_values("arrived_at")
    assert ev["revision"].tolist() == [False, True]


def test_channels_inferred_from_columns() -> None:
    store = SignalStore()
    t = pd.to_datetime(["2024-01-10"] * 3)
    store.append(pd.DataFrame({"sku": "a", "time": t, "channel": ["x", "y", "y"], "value": 1.0}))
    store.append(
        pd.DataFrame({"sku": "a", "store": [1, 2], "time": t[:2], "channel": ["w", "w"], "value": 1.0})
    )
    store.append(pd.DataFrame({"sku": "a", "region": ["N"], "time": t[:1], "channel": ["r"], "value": 1.0}))
    levels = {n: (s.level, s.agg, s.delay) for n, s in store.channels.items()}
    zero = timedelta(0)
    assert levels == {
        "x": ("sku", "sum", zero),
        "y": ("sku", "sum", zero),
        "w": ("store", "sum", zero),
        "r": ("region", "sum", zero),
    }


def test_inferred_aggregation_follows_the_cadence() -> None:
    """A weekly index (Google Trends) is a level carried forward; daily or hourly counts are a flow."""
    store = SignalStore()
    weekly = pd.date_range("2024-01-01", periods=6, freq="7D")
    daily = pd.date_range("2024-01-01", periods=10, freq="D")
    hourly = pd.date_range("2024-01-01", periods=30, freq="h")
    two = pd.to_datetime(["2024-01-01", "2024-02-01"])  # too few times to tell a cadence
    for name, t in (("trend", weekly), ("views", daily), ("clicks", hourly), ("rare", two)):
        store.append(pd.DataFrame({"sku": "a", "time": t, "channel": name, "value": 1.0}))
    assert {n: s.agg for n, s in store.channels.items()} == {
        "trend": "last",
        "views": "sum",
        "clicks": "sum",
        "rare": "sum",
    }
    from pullcast import Panel

    grid = pd.date_range("2024-01-01", periods=14, freq="D")
    sales = pd.DataFrame({"sku": "a", "store": 1, "date": grid, "units": 1.0})
    trend = store.aligned(Panel.from_frame(sales))["trend"]
    assert np.all(trend == 1.0)  # carried between the weekly values, not a spike on arrival days


def test_arrival_profile_counts_by_hour() -> None:
    store = SignalStore([ChannelSpec("k")])
    times = pd.to_datetime(["2024-01-10 08:10", "2024-01-10 08:50", "2024-01-10 09:00", "2024-01-11 08:00"])
    store.append(pd.DataFrame({"sku": ["a", "b", "a", "a"], "time": times, "channel": "k", "value": 2.0}))
    prof = store.arrival_profile("k")
    assert prof[["date", "hour", "events", "value"]].values.tolist() == [
        [pd.Timestamp("2024-01-10"), 8, 2, 4.0],
        [pd.Timestamp("2024-01-10"), 9, 1, 2.0],
        [pd.Timestamp("2024-01-11"), 8, 1, 2.0],
    ]
    with pytest.raises(ConfigError):
        store.arrival_profile("nope")
    # computed once per state of the log: a caller's edits never reach the cache, new events do
    prof["value"] = -1.0
    assert store.arrival_profile("k")["value"].tolist() == [4.0, 2.0, 2.0]
    store.append(
        pd.DataFrame(
            {"sku": ["b"], "time": pd.to_datetime(["2024-01-11 08:30"]), "channel": "k", "value": 3.0}
        )
    )
    assert store.arrival_profile("k")[["hour", "events", "value"]].values.tolist()[-1] == [8, 2, 5.0]
