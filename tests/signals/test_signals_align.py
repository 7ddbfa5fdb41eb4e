"""As-of alignment against the brute-force reference, no-leak, incremental and order properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _signals_reference import GRID_START, SPECS, STORES, make_panel, reference_aligned
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pullcast.errors import ConfigError, FrequencyError
from pullcast.signals import ChannelSpec, SignalStore

CHANNELS = {s.name: s for s in SPECS}
SPLITS = ["broadcast", "sales_share"]
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def event_frames(draw: st.DrawFn, max_events: int = 30) -> pd.DataFrame:
    """Random events for SPECS: few keys (so duplicates and revisions are common), random delays."""
    n = draw(st.integers(0, max_events))
    rows = []
    for i in range(n):
        name = draw(st.sampled_from(list(CHANNELS)))
        spec = CHANNELS[name]
        sku = draw(st.sampled_from(["a", "b", "c"]))
        store = draw(st.sampled_from([1, 2, 3])) if spec.level == "store" else np.nan
        region = draw(st.sampled_from(["N", "S"])) if spec.level == "region" else None
        time = GRID_START + pd.Timedelta(hours=6 * draw(st.integers(-12, 44)))
        delay = draw(st.none() | st.integers(0, 96))
        # one second per row keeps every arrival distinct, so arrival order is never a tie
        arrived = pd.NaT if delay is None else time + pd.Timedelta(hours=delay, seconds=i)
        value = float(draw(st.sampled_from([0, 1, 2, 3, 5])))
        rows.append((sku, store, region, name, time + pd.Timedelta(seconds=i), arrived, value, i))
    cols = ["sku", "store", "region", "channel", "time", "arrived_at", "value", "seq"]
    frame = pd.DataFrame(rows, columns=cols)
    frame["time"] = pd.to_datetime(frame["time"]).astype("datetime64[ns]")
    frame["arrived_at"] = pd.to_datetime(frame["arrived_at"]).astype("datetime64[ns]")
    frame["store"] = frame["store"].astype(float)
    frame["value"] = frame["value"].astype(float)
    frame["region"] = frame["region"].astype(object)
    return frame


def _store() -> SignalStore:
    return SignalStore(SPECS, stores=STORES)


def _assert_same(got: dict[str, np.ndarray], want: dict[str, np.ndarray]) -> None:
    assert set(got) == set(want)
    for name in want:
        np.testing.assert_allclose(got[name], want[name], rtol=1e-12, atol=1e-12, err_msg=name)


@SETTINGS
@given(events=event_frames(), seed=st.integers(0, 5), split=st.sampled_from(["broadcast", "sales_share"]))
def test_aligned_matches_brute_force(events: pd.DataFrame, seed: int, split: str) -> None:
    panel = make_panel(seed)
    store = _store()
    report = store.append(events.drop(columns="seq"))
    assert report.rejected == 0
    got = store.aligned(panel, region_split=split)
    _assert_same(got, reference_aligned(events, panel, SPECS, STORES, region_split=split))


@SETTINGS
@given(events=event_frames(), day=st.integers(-1, 10), hour=st.integers(0, 23))
def test_as_of_matches_brute_force_and_never_leaks(events: pd.DataFrame, day: int, hour: int) -> None:
    """With as_of inside day d: equal to the reference restricted to events arrived by as_of, and
    equal to the full alignment on every day before d (those values only use earlier arrivals)."""
    panel = make_panel(0)
    store = _store()
    store.append(events.drop(columns="seq"))
    as_of = GRID_START + pd.Timedelta(days=day, hours=hour)
    got = store.aligned(panel, as_of=as_of)
    _assert_same(got, reference_aligned(events, panel, SPECS, STORES, as_of=as_of))
    full = store.aligned(panel)
    before = panel.dates.flat() < np.datetime64(as_of.normalize())
    for name in full:
        np.testing.assert_array_equal(got[name][before], full[name][before])


@SETTINGS
@given(
    events=event_frames(40), cut_day=st.integers(0, 10), split=st.sampled_from(["broadcast", "sales_share"])
)
def test_later_arrivals_never_change_earlier_days(events: pd.DataFrame, cut_day: int, split: str) -> None:
    """Append events arriving before the cut, align, append the rest: days before the cut are unchanged,
    and the incrementally updated state equals a fresh alignment and the reference."""
    panel = make_panel(1)
    delay = pd.to_timedelta(events["channel"].map(lambda c: CHANNELS[c].delay_ns).astype("int64"), unit="ns")
    arrived = events["arrived_at"].fillna(events["time"] + delay)
    cut = GRID_START + pd.Timedelta(days=cut_day)
    early, late = events[arrived < cut], events[arrived >= cut]
    store = _store()
    store.append(early.drop(columns="seq"))
    first = {k: v.copy() for k, v in store.aligned(panel, region_split=split).items()}
    store.append(late.drop(columns="seq"))
    second = store.aligned(panel, region_split=split)
    before = panel.dates.flat() < np.datetime64(cut)
    for name in first:
        np.testing.assert_array_equal(first[name][before], second[name][before], err_msg=name)
    fresh = _store()
    fresh.append(events.drop(columns="seq"))
    _assert_same(second, fresh.aligned(panel, region_split=split))
    _assert_same(second, reference_aligned(events, panel, SPECS, STORES, region_split=split))


@SETTINGS
@given(events=event_frames(40), n_chunks=st.integers(1, 5), seed=st.integers(0, 10**6))
def test_arrival_order_and_chunking_do_not_matter(events: pd.DataFrame, n_chunks: int, seed: int) -> None:
    """Rows appended shuffled, in several chunks with an alignment after each, end in the same state
    as one in-order append (arrivals are distinct, so revisions have a well-defined order)."""
    panel = make_panel(2)
    base = _store()
    base.append(events.drop(columns="seq"))
    want = {k: v.copy() for k, v in base.aligned(panel).items()}
    shuffled = events.sample(frac=1.0, random_state=seed % 2**32)
    store = _store()
    for chunk in np.array_split(np.arange(len(shuffled)), n_chunks):
        store.append(shuffled.iloc[chunk].drop(columns="seq"))
        store.aligned(panel)
    _assert_same(store.aligned(panel), want)


@SETTINGS
@given(events=event_frames(40), days=st.integers(4, 9), split=st.sampled_from(SPLITS), more=st.booleans())
def test_extending_the_grid_equals_a_fresh_alignment(
    events: pd.DataFrame, days: int, split: str, more: bool
) -> None:
    """Align to the first days of the panel, then to the whole panel (the cached state is extended,
    not rebuilt): the result equals a fresh alignment and the reference."""
    store = _store()
    half = len(events) // 2
    store.append(events.iloc[:half].drop(columns="seq"))
    store.aligned(make_panel(3, days), region_split=split)  # all 5 series exist from day 4 on
    version = store.version
    if more:
        store.append(events.iloc[half:].drop(columns="seq"))
    state_before = store._states[(split, np.iinfo(np.int64).max, 28 if split == "sales_share" else 0)]
    full = make_panel(3)
    got = store.aligned(full, region_split=split)
    if store.version == version:  # (a late original forces a rebuild from the log)
        assert store._last_state is state_before  # extended in place
    if not more:
        store.append(events.iloc[half:].drop(columns="seq"))
        got = store.aligned(full, region_split=split)
    fresh = _store()
    fresh.append(events.drop(columns="seq"))
    _assert_same(got, fresh.aligned(full, region_split=split))
    _assert_same(got, reference_aligned(events, full, SPECS, STORES, region_split=split))


def _events(rows: list[tuple[object, ...]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["sku", "store", "region", "channel", "time", "arrived_at", "value"])
    frame["time"] = pd.to_datetime(frame["time"])
    frame["arrived_at"] = pd.to_datetime(frame["arrived_at"])
    return frame


def _series(panel: object, arr: np.ndarray, sku: str, store: int) -> np.ndarray:
    ids = panel.ids  # type: ignore[attr-defined]
    i = int(np.flatnonzero((ids["sku"] == sku) & (ids["store"] == store))[0])
    return arr[panel.indptr[i] : panel.indptr[i + 1]]  # type: ignore[attr-defined]


def test_levels_map_to_the_right_series() -> None:
    """SKU level reaches every store of the SKU, store level one series, region level the region's stores."""
    panel = make_panel(0)
    store = SignalStore(
        [ChannelSpec("k"), ChannelSpec("w", level="store"), ChannelSpec("g", level="region")], stores=STORES
    )
    day = "2024-01-15 09:00"
    store.append(
        _events(
            [
                ("a", None, None, "k", day, None, 4.0),
                ("a", 2, None, "w", day, None, 3.0),
                ("a", None, "N", "g", day, None, 7.0),
            ]
        )
    )
    out = store.aligned(panel)
    d = (pd.Timestamp(day).normalize() - GRID_START).days
    for st_, k, w, g in [(1, 4, 0, 7), (2, 4, 3, 7), (3, 4, 0, 0)]:
        first = {1: 0, 2: 3, 3: 0}[st_]
        at = d - first
        for name, want in (("k", k), ("w", w), ("g", g)):
            got = _series(panel, out[name], "a", st_)
            if at < got.size:
                assert got[at] == want, (name, st_)
                assert np.delete(got, at).sum() == 0
    for name in ("k", "w", "g"):
        assert _series(panel, out[name], "b", 1).sum() == 0


def test_sales_share_uses_only_past_sales() -> None:
    """Region value 10 on day 5 splits by the 2 stores' sales over days 3..4 (window 2); sales on day
    5 and later do not matter."""
    dates = pd.date_range(GRID_START, periods=8)
    units_1 = [9, 9, 9, 3, 1, 50, 50, 50]
    units_2 = [0, 0, 0, 1, 3, 0, 0, 0]
    sales = pd.DataFrame(
        {"sku": "a", "store": [1] * 8 + [2] * 8, "date": list(dates) * 2, "units": units_1 + units_2}
    )
    from pullcast import Panel

    panel = Panel.from_frame(sales)
    store = SignalStore([ChannelSpec("g", level="region")], stores=STORES)
    store.append(_events([("a", None, "N", "g", dates[5] + pd.Timedelta(hours=1), None, 10.0)]))
    out = store.aligned(panel, region_split="sales_share", share_window=2)["g"]
    # store 1 sold 3 + 1 = 4 and store 2 sold 1 + 3 = 4 on days 3..4: half each
    assert out[5] == pytest.approx(5.0) and out[8 + 5] == pytest.approx(5.0)
    changed = sales.copy()
    changed.loc[changed["date"] >= dates[5], "units"] = 1000.0
    store2 = SignalStore([ChannelSpec("g", level="region")], stores=STORES)
    store2.append(_events([("a", None, "N", "g", dates[5] + pd.Timedelta(hours=1), None, 10.0)]))
    out2 = store2.aligned(Panel.from_frame(changed), region_split="sales_share", share_window=2)["g"]
    np.testing.assert_array_equal(out2, out)


def test_sales_share_falls_back_to_equal_shares_without_sales() -> None:
    dates = pd.date_range(GRID_START, periods=4)
    sales = pd.DataFrame({"sku": "a", "store": [1] * 4 + [2] * 4, "date": list(dates) * 2, "units": 0.0})
    from pullcast import Panel

    panel = Panel.from_frame(sales)
    store = SignalStore([ChannelSpec("g", level="region", agg="last")], stores=STORES)
    store.append(_events([("a", None, "N", "g", dates[1], None, 8.0)]))
    out = store.aligned(panel, region_split="sales_share")["g"]
    np.testing.assert_array_equal(out.reshape(2, 4), [[np.nan, 4.0, 4.0, 4.0]] * 2)


def test_weekly_level_carried_forward_never_backward() -> None:
    """A weekly index is placed on the day it became known and held until the next one."""
    panel = make_panel(0)
    store = SignalStore([ChannelSpec("trend", agg="last", delay="1D")])
    weeks = [("2024-01-06", 50.0), ("2024-01-13", 70.0)]  # week ends, known a day later
    store.append(_events([("a", None, None, "trend", t, None, v) for t, v in weeks]))
    got = _series(panel, store.aligned(panel)["trend"], "a", 1)
    want = [50.0] * 4 + [70.0] * 6  # 2024-01-10..13 know week 1; from 2024-01-14 week 2
    np.testing.assert_array_equal(got, want)


def test_duplicates_and_revisions() -> None:
    panel = make_panel(0)
    store = SignalStore([ChannelSpec("k"), ChannelSpec("lv", agg="last")])
    t = "2024-01-11 08:00"
    r1 = store.append(_events([("a", None, None, "k", t, "2024-01-11 09:00", 5.0)] * 2))
    assert (r1.accepted, r1.duplicates, r1.revisions) == (2, 1, 0)
    r2 = store.append(
        _events(
            [
                ("a", None, None, "k", t, "2024-01-13 09:00", 8.0),  # revision +3 on the 13th
                ("a", None, None, "lv", t, "2024-01-12 00:00", 1.0),
                ("a", None, None, "lv", t, "2024-01-14 00:00", 2.0),  # revised level from the 14th
            ]
        )
    )
    assert (r2.accepted, r2.duplicates, r2.revisions) == (3, 0, 2)
    out = store.aligned(panel)
    k = _series(panel, out["k"], "a", 1)
    np.testing.assert_array_equal(k, [0, 5, 0, 3, 0, 0, 0, 0, 0, 0])
    lv = _series(panel, out["lv"], "a", 1)
    np.testing.assert_array_equal(lv, [np.nan, np.nan, 1, 1, 2, 2, 2, 2, 2, 2])


def test_summary_counts_unmatched_and_off_grid() -> None:
    panel = make_panel(0)
    store = SignalStore([ChannelSpec("k")])
    store.append(
        _events(
            [
                ("c", None, None, "k", "2024-01-11", None, 1.0),  # no series for sku c
                ("a", None, None, "k", "2024-01-01", None, 1.0),  # before the grid
                ("a", None, None, "k", "2024-02-01", None, 1.0),  # after the grid
                ("a", None, None, "k", "2024-01-12", None, 1.0),
            ]
        )
    )
    store.aligned(panel)
    row = store.unmatched.set_index("channel").loc["k"]
    assert (row["events"], row["unmatched"], row["before_grid"], row["after_grid"]) == (4, 1, 1, 1)


def test_arrays_are_read_only_and_cached_state_updates() -> None:
    panel = make_panel(0)
    store = SignalStore([ChannelSpec("k")])
    store.append(_events([("a", None, None, "k", "2024-01-11", None, 1.0)]))
    out = store.aligned(panel)["k"]
    with pytest.raises(ValueError):
        out[0] = 3.0
    store.append(_events([("a", None, None, "k", "2024-01-12", None, 2.0)]))
    again = store.aligned(make_panel(0))["k"]  # an equal panel reuses the cached state
    assert _series(panel, again, "a", 1)[:3].tolist() == [0.0, 1.0, 2.0]


def test_bad_alignment_arguments() -> None:
    panel = make_panel(0)
    store = SignalStore([ChannelSpec("g", level="region")])
    with pytest.raises(ConfigError, match="stores frame"):
        store.aligned(panel)
    store = SignalStore([ChannelSpec("k")])
    with pytest.raises(ConfigError, match="region_split"):
        store.aligned(panel, region_split="spread")
    with pytest.raises(ConfigError, match="share_window"):
        store.aligned(panel, share_window=0)
    with pytest.raises(ConfigError, match="as_of"):
        store.aligned(panel, as_of="not a time")
    weekly = pd.DataFrame(
        {"sku": "a", "store": 1, "date": pd.date_range("2024-01-07", periods=3, freq="W-SUN"), "units": 1.0}
    )
    from pullcast import Panel

    with pytest.raises(FrequencyError, match="daily"):
        store.aligned(Panel.from_frame(weekly, freq="W-SUN"))
