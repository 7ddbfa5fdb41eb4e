"""As-of alignment of stored signal events to a Panel's daily SKU x store grid.

Semantics
---------
The value of a channel on grid day d is what became known during day d: every event is placed on
the calendar day of its ``arrived_at`` (``time`` + the channel's delay when absent), never on its
event time. Hence ``aligned[d]`` depends only on events with ``arrived_at`` before the end of day d
(and at or before ``as_of``): there is no look-ahead by construction.

- ``"sum"`` channels give a daily flow: the sum of the values that arrived that day, and 0 on days
  when nothing arrived. A revision adds ``new - old`` on its own arrival day, so the running total
  up to day d equals the total of the latest known values of all observations as of day d.
  Events that arrived before the grid's first day are not shown.
- ``"mean"`` and ``"last"`` channels give a level: on a day with arrivals, the mean of the values
  that arrived (``"mean"``) or the value of the latest event time among them (``"last"``); on days
  without arrivals the previous level is carried forward, never backward. Days before the first
  arrival are NaN; values that arrived before the grid starts carry into it. A revision sets the
  level from its arrival day on. Duplicates (a report equal to the previous report of the same
  observation) change nothing.

Level mapping: a SKU-level event feeds every store series of that SKU; a store-level event feeds
its (sku, store) series; a region-level event feeds the series of that SKU at the stores of the
region (``stores`` frame), either broadcast (each gets the full value) or times each store's
trailing sales share: its units over the ``share_window`` days ending the day before d, divided by
the same total over the region's series of that SKU (equal shares when that total is 0). Events
that map to no panel series are counted as ``unmatched`` in :meth:`AlignedState.summary`.

Incremental cache
-----------------
:func:`align_store` keeps one :class:`AlignedState` per (region_split, as_of, share_window) in the
store. A later call with the same panel object (or an identical panel) only processes the events
appended since: a sum event is added into the series it maps to, a level event updates its day
cell and re-carries its track from that day. The cost is proportional to the new events and the
touched days, not to the history. The returned arrays are read-only views of the cached state and
are updated by later calls: copy them to keep a snapshot. A panel that only adds days at the end
(same series and start; the old sales unchanged for ``"sales_share"``) extends the state in place:
old values are copied to their new positions and only the events that arrived on the new days are
placed (:meth:`AlignedState.extend`, O(flat size) copies, no re-aggregation of history). Any other
panel (other series, another start), other ``stores``, or an append that arrived before an
already stored report of the same observation (see :attr:`SignalStore.version`) rebuild the state
from the event log.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import pandas as pd

from pullcast.base import is_whole
from pullcast.errors import ConfigError, FrequencyError
from pullcast.panel import Panel
from pullcast.signals import _fast

__all__ = ["AlignedState", "EventSource", "align_store", "cache_key", "resolve"]


class EventSource(Protocol):
    """The narrow view of an event store that alignment reads (a :class:`SignalStore` is one)."""

    log: Any
    sku_vocab: Any
    store_vocab: Any
    region_vocab: Any
    stores: pd.DataFrame | None
    tz: str
    version: int

    @property
    def channels(self) -> dict[str, Any]: ...

    def channel_code(self, name: str) -> int: ...


DAY_NS = 86_400 * 10**9
_NO_AS_OF = np.iinfo(np.int64).max
_PRE = np.iinfo(np.int64).min
_SHIFT = np.int64(1) << np.int64(31)
MAX_STATES = 4  # aligned states a store keeps (one per as_of / split in use)
SPLITS = ("broadcast", "sales_share")


def _as_of_ns(as_of: object, tz: str) -> int:
    if as_of is None:
        return int(_NO_AS_OF)
    try:
        ts = pd.Timestamp(as_of)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"as_of must be a timestamp, got {as_of!r}: {exc}") from None
    if pd.isna(ts):
        raise ConfigError(f"as_of must be a timestamp, got {as_of!r}")
    if ts.tzinfo is not None:
        ts = ts.tz_convert(tz).tz_localize(None)
    return int(ts.as_unit("ns").value)


class _Channel:
    """Per-channel tracks (the level at which events aggregate) and the flat output."""

    def __init__(self, state: AlignedState, name: str) -> None:
        spec = state.store.channels[name]
        self.name, self.agg, self.level = name, spec.agg, spec.level
        self.code = state.store.channel_code(name)
        comb = state.series_comb(self.level)
        valid = comb >= 0
        self.track_keys = np.unique(comb[valid])
        self.track_of = np.full(comb.size, -1, dtype=np.int64)
        self.track_of[valid] = np.searchsorted(self.track_keys, comb[valid])
        order = np.argsort(self.track_of, kind="stable")
        order = order[self.track_of[order] >= 0]
        self.tseries = order.astype(np.int64)
        counts = np.bincount(self.track_of[order], minlength=self.track_keys.size)
        self.tptr = np.zeros(self.track_keys.size + 1, dtype=np.int64)
        np.cumsum(counts, out=self.tptr[1:])
        nt, nd = self.track_keys.size, state.n_days
        self.weight = state.weight if self.level == "region" else np.empty(0)
        total = int(state.indptr[-1])
        self.counts = {"events": 0, "unmatched": 0, "before_grid": 0, "after_grid": 0}
        if self.agg == "sum":
            self.out = np.zeros(total, dtype=np.float64)
            return
        self.out = np.full(total, np.nan, dtype=np.float64)
        self.num = np.zeros((nt, nd + 1), dtype=np.float64)
        self.cnt = np.zeros((nt, nd + 1), dtype=np.float64)
        self.pre_day = np.full(nt, _PRE, dtype=np.int64)
        self.level_ = np.full((nt, nd), np.nan, dtype=np.float64)
        if self.agg == "last":
            self.order = np.zeros((nt, nd + 1, 3), dtype=np.int64)

    def tracks_of(self, sku: np.ndarray, loc: np.ndarray) -> np.ndarray:
        """Track of each event (-1 when no panel series reads it)."""
        sku = sku.astype(np.int64)
        if self.level == "sku":
            comb = sku
        else:
            loc = loc.astype(np.int64)
            comb = np.where(loc >= 0, sku * _SHIFT + loc, -1)
        if self.track_keys.size == 0:
            return np.full(comb.size, -1, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self.track_keys, comb), self.track_keys.size - 1)
        return np.where(self.track_keys[pos] == comb, pos, -1).astype(np.int64)

    def apply(self, state: AlignedState, ev: dict[str, np.ndarray], full: bool) -> None:
        """Place the events ``ev`` (this channel's, within the as-of window)."""
        track = self.tracks_of(ev["sku"], ev["loc"])
        day = ev["arr"] // DAY_NS - state.g0
        nd = state.n_days
        c = self.counts
        c["events"] += int(track.size)
        matched = track >= 0
        c["unmatched"] += int((~matched).sum())
        c["before_grid"] += int((matched & (day < 0)).sum())
        c["after_grid"] += int((matched & (day >= nd)).sum())
        prev, value = ev["prev"], ev["value"]
        known = ~np.isnan(prev)
        if self.agg == "sum":
            delta = value - np.where(known, prev, 0.0)
            if full:
                cells = np.zeros((self.track_keys.size, nd), dtype=np.float64)
                _fast.sum_cells(track, day, delta, cells)
                self._expand(state, np.arange(state.n_series), np.zeros(state.n_series, np.int64), cells, 0.0)
            else:
                _fast.scatter_sum(
                    track,
                    day,
                    delta,
                    self.tptr,
                    self.tseries,
                    self.weight,
                    state.indptr,
                    state.start_pos,
                    self.out,
                )
            return
        eff = ~known | (prev != value)
        if self.agg == "mean":
            _fast.mean_cells(track, day, value, eff, self.num, self.cnt, self.pre_day)
        else:
            _fast.last_cells(
                track,
                day,
                value,
                eff,
                ev["time"],
                ev["arr"],
                ev["seq"],
                self.num,
                self.cnt,
                self.order,
                self.pre_day,
            )
        if full:
            tracks = np.arange(self.track_keys.size, dtype=np.int64)
            from_day = np.zeros(tracks.size, dtype=np.int64)
        else:
            touched = matched & eff & (day < nd)
            first = np.full(self.track_keys.size, nd, dtype=np.int64)
            np.minimum.at(first, track[touched], np.maximum(day[touched], 0))
            tracks = np.flatnonzero(first < nd).astype(np.int64)
            from_day = first[tracks]
        _fast.ffill_levels(tracks, from_day, self.num, self.cnt, self.agg == "mean", self.level_)
        if full:
            self._expand(
                state, np.arange(state.n_series), np.zeros(state.n_series, np.int64), self.level_, np.nan
            )
            return
        lo, hi = self.tptr[tracks], self.tptr[tracks + 1]
        n_each = hi - lo
        series = self.tseries[np.repeat(lo - np.cumsum(n_each) + n_each, n_each) + np.arange(n_each.sum())]
        self._expand(state, series, np.repeat(from_day, n_each), self.level_, np.nan)

    def extend(
        self, state: AlignedState, new_index: np.ndarray, old_nd: int, ev: dict[str, np.ndarray]
    ) -> None:
        """Move to the state's longer grid: copy the old outputs to their new flat positions, then
        place the events that arrived on the new days (``ev``: this channel's, arrived >= old end)."""
        total, nd = int(state.indptr[-1]), state.n_days
        out = np.full(total, 0.0 if self.agg == "sum" else np.nan, dtype=np.float64)
        out[new_index] = self.out
        self.out = out
        self.weight = state.weight if self.level == "region" else np.empty(0)
        track = self.tracks_of(ev["sku"], ev["loc"])
        day = ev["arr"] // DAY_NS - state.g0
        sel = (track >= 0) & (day < nd)
        self.counts["after_grid"] -= int(sel.sum())
        track, day = track[sel], day[sel]
        value, prev = ev["value"][sel], ev["prev"][sel]
        known = ~np.isnan(prev)
        if self.agg == "sum":
            delta = value - np.where(known, prev, 0.0)
            _fast.scatter_sum(
                track,
                day,
                delta,
                self.tptr,
                self.tseries,
                self.weight,
                state.indptr,
                state.start_pos,
                self.out,
            )
            return
        nt = self.track_keys.size
        grow = nd - old_nd
        self.num = np.concatenate([self.num, np.zeros((nt, grow))], axis=1)
        self.cnt = np.concatenate([self.cnt, np.zeros((nt, grow))], axis=1)
        self.level_ = np.concatenate([self.level_, np.full((nt, grow), np.nan)], axis=1)
        eff = ~known | (prev != value)
        if self.agg == "mean":
            _fast.mean_cells(track, day, value, eff, self.num, self.cnt, self.pre_day)
        else:
            self.order = np.concatenate([self.order, np.zeros((nt, grow, 3), dtype=np.int64)], axis=1)
            _fast.last_cells(
                track, day, value, eff, ev["time"][sel], ev["arr"][sel], ev["seq"][sel], self.num, self.cnt,
                self.order, self.pre_day,
            )  # fmt: skip
        tracks = np.arange(nt, dtype=np.int64)
        _fast.ffill_levels(
            tracks, np.full(nt, old_nd, np.int64), self.num, self.cnt, self.agg == "mean", self.level_
        )
        series = np.arange(state.n_series, dtype=np.int64)
        self._expand(state, series, np.full(series.size, old_nd, np.int64), self.level_, np.nan)

    def _expand(
        self, state: AlignedState, series: np.ndarray, from_day: np.ndarray, src: np.ndarray, empty: float
    ) -> None:
        _fast.expand(
            series.astype(np.int64),
            from_day.astype(np.int64),
            self.track_of,
            src,
            self.weight,
            state.indptr,
            state.start_pos,
            float(empty),
            self.out,
        )


class AlignedState:
    """The cached alignment of one store's events to one panel (see the module docstring).

    Build it through :meth:`SignalStore.aligned` (or :func:`align_store`); :meth:`update` brings it
    up to date with events appended since, in time proportional to them.
    """

    def __init__(
        self,
        store: EventSource,
        panel: Panel,
        *,
        as_of_ns: int,
        stores: pd.DataFrame | None,
        region_split: str,
        share_window: int,
        series_region: np.ndarray,
    ) -> None:
        self.store, self.panel, self.stores = store, panel, stores
        self.as_of_ns, self.region_split, self.share_window = as_of_ns, region_split, share_window
        grid = panel.dates.grid
        self.g0 = int(grid[0].value) // DAY_NS
        self.n_days = len(grid)
        self.indptr = panel.indptr.astype(np.int64)
        self.start_pos = panel.dates.start_pos.astype(np.int64)
        self.n_series = panel.n_series
        cols = panel.columns
        self.series_sku = _encode(store.sku_vocab, panel.ids[cols.sku])
        self.series_store = _encode(store.store_vocab, panel.ids[cols.store])
        self.series_region = series_region
        self.weight = (
            _sales_shares(panel, self.series_sku, series_region, share_window)
            if region_split == "sales_share"
            else np.empty(0)
        )
        self.version = store.version
        self.n_seen = 0
        self.chans: dict[str, _Channel] = {}
        self.update()

    def series_comb(self, level: str) -> np.ndarray:
        """Per series, the int64 key of the track it reads at ``level`` (-1 when it has none)."""
        if level == "sku":
            return self.series_sku.copy()
        loc = self.series_store if level == "store" else self.series_region
        return np.where(loc >= 0, self.series_sku * _SHIFT + loc, -1)

    def _events(self, lo: int, hi: int) -> dict[str, np.ndarray]:
        log = self.store.log
        ev = {f: log.window(f, lo, hi) for f in ("chan", "sku", "loc", "time", "arr", "value", "prev")}
        ev["seq"] = np.arange(lo, hi, dtype=np.int64)
        if self.as_of_ns != _NO_AS_OF:
            keep = ev["arr"] <= self.as_of_ns
            if not keep.all():
                ev = {k: v[keep] for k, v in ev.items()}
        return ev

    def update(self) -> None:
        """Place the events appended since the last update (new channels are placed in full)."""
        hi = self.store.log.n
        for name in self.store.channels:
            if name not in self.chans:
                ch = self.chans[name] = _Channel(self, name)
                self._feed(ch, self._events(0, self.n_seen), full=True)
        if hi > self.n_seen:
            ev = self._events(self.n_seen, hi)
            full = self.n_seen == 0
            for ch in self.chans.values():
                self._feed(ch, ev, full=full)
        self.n_seen = hi

    def _feed(self, ch: _Channel, ev: dict[str, np.ndarray], full: bool) -> None:
        mine = ev["chan"] == ch.code
        if not full and not mine.any():
            return
        ch.apply(self, {k: v[mine] for k, v in ev.items()}, full)

    def arrays(self) -> dict[str, np.ndarray]:
        """Read-only views of the aligned flat arrays, by channel (aligned with ``panel.indptr``)."""
        out = {}
        for name, ch in self.chans.items():
            view = ch.out.view()
            view.flags.writeable = False
            out[name] = view
        return out

    def summary(self) -> pd.DataFrame:
        """Per channel: events in the as-of window, and how many were unmatched or off the grid.

        ``unmatched`` events have a sku/store/region with no series in the panel; ``before_grid``
        arrived before the first grid day (carried into levels, not shown for sums);
        ``after_grid`` arrived after the last grid day.
        """
        rows = [{"channel": n, "level": c.level, "agg": c.agg, **c.counts} for n, c in self.chans.items()]
        return pd.DataFrame(
            rows, columns=["channel", "level", "agg", "events", "unmatched", "before_grid", "after_grid"]
        )

    def extendable_to(self, panel: Panel) -> bool:
        """Whether ``panel`` is this state's panel with more days at the end (same series, same
        start; only series that reached the old last day grow, and the old sales are unchanged when
        they drive ``"sales_share"`` weights)."""
        grid, old_grid = panel.dates.grid, self.panel.dates.grid
        if (
            panel.n_series != self.n_series
            or len(grid) <= self.n_days
            or grid[0] != old_grid[0]
            or not np.array_equal(panel.dates.start_pos, self.start_pos)
            or not panel.ids.equals(self.panel.ids)
        ):
            return False
        old_len, new_len = np.diff(self.indptr), np.diff(panel.indptr)
        grows = new_len != old_len
        if np.any(new_len < old_len) or np.any(grows & (self.start_pos + old_len != self.n_days)):
            return False
        if self.region_split == "sales_share":
            old_units = np.asarray(self.panel.values())
            return bool(np.array_equal(panel.values()[self._new_index(panel)], old_units, equal_nan=True))
        return True

    def _new_index(self, panel: Panel) -> np.ndarray:
        old_len = np.diff(self.indptr)
        codes = np.repeat(np.arange(self.n_series, dtype=np.int64), old_len)
        return panel.indptr[codes] + np.arange(int(self.indptr[-1]), dtype=np.int64) - self.indptr[codes]

    def extend(self, panel: Panel) -> None:
        """Move to ``panel`` (see :meth:`extendable_to`): O(flat size) copies plus the new days' events."""
        new_index = self._new_index(panel)
        old_nd = self.n_days
        self.panel = panel
        self.n_days = len(panel.dates.grid)
        self.indptr = panel.indptr.astype(np.int64)
        if self.region_split == "sales_share":
            self.weight = _sales_shares(panel, self.series_sku, self.series_region, self.share_window)
        ev = self._events(0, self.n_seen)
        late = ev["arr"] // DAY_NS - self.g0 >= old_nd
        ev = {k: v[late] for k, v in ev.items()}
        for ch in self.chans.values():
            mine = ev["chan"] == ch.code
            ch.extend(self, new_index, old_nd, {k: v[mine] for k, v in ev.items()})

    def same_layout(self, panel: Panel) -> bool:
        """Whether ``panel`` has exactly this state's series and grid."""
        return (
            panel.n_series == self.n_series
            and np.array_equal(panel.indptr, self.indptr)
            and np.array_equal(panel.dates.start_pos, self.start_pos)
            and panel.dates.grid.equals(self.panel.dates.grid)
            and panel.ids.equals(self.panel.ids)
        )


def _encode(vocab: object, labels: pd.Series) -> np.ndarray:
    codes, uniques = pd.factorize(labels)
    table = vocab.encode(list(uniques))  # type: ignore[attr-defined]
    return np.asarray(table, dtype=np.int64)[codes]


def _series_regions(store: EventSource, panel: Panel, stores: pd.DataFrame | None) -> np.ndarray:
    """Region code of each series' store (-1 when the store is not in the stores frame)."""
    if stores is None:
        return np.full(panel.n_series, -1, dtype=np.int64)
    mapping = dict(zip(stores["store"], stores["region"], strict=True))
    labels = panel.ids[panel.columns.store].map(mapping)
    codes, uniques = pd.factorize(labels)
    table = np.append(store.region_vocab.encode(list(uniques)), -1)
    return table[np.where(codes < 0, len(uniques), codes)].astype(np.int64)


def _sales_shares(panel: Panel, sku: np.ndarray, region: np.ndarray, window: int) -> np.ndarray:
    """Each series' trailing sales share within its (sku, region) group, flat (no look-ahead)."""
    units = np.asarray(panel.values(), dtype=np.float64)
    trail = np.empty(units.size, dtype=np.float64)
    _fast.trailing_sums(units, panel.indptr.astype(np.int64), int(window), trail)
    lengths = np.diff(panel.indptr)
    comb = np.where(region >= 0, sku * _SHIFT + region, -1)
    group = np.unique(comb, return_inverse=True)[1].reshape(-1)
    n_days = len(panel.dates.grid)
    fg = np.repeat(group, lengths) * n_days + panel.dates.positions()
    n_groups = int(group.max()) + 1 if group.size else 0
    den = np.bincount(fg, weights=trail, minlength=n_groups * n_days)[fg]
    n_in_group = np.bincount(group, minlength=n_groups).astype(np.float64)[np.repeat(group, lengths)]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(den > 0, trail / np.where(den > 0, den, 1.0), 1.0 / n_in_group)
    return share


def _check_daily(panel: Panel) -> None:
    try:
        offset = pd.tseries.frequencies.to_offset(panel.dates.freq)
    except ValueError:
        offset = None
    if offset != pd.offsets.Day(1):
        raise FrequencyError(
            f"signals align to a daily grid; the panel's freq is {panel.dates.freq!r} (expected 'D')"
        )


def align_store(
    store: Any,
    panel: Panel,
    *,
    as_of: object = None,
    stores: pd.DataFrame | None = None,
    region_split: str = "broadcast",
    share_window: int = 28,
) -> AlignedState:
    """The store's :class:`AlignedState` for ``panel``, reused and updated when cached.

    Parameters
    ----------
    store : SignalStore
        The store whose cached state is returned (it owns the cache: this calls
        ``store.aligned_state``).
    panel : Panel
        A daily panel; outputs are flat arrays aligned with ``panel.indptr``.
    as_of : timestamp or None, default None
        Ignore every event that arrived after it (a tz-aware value is converted to the store's tz).
    stores : pandas.DataFrame or None, default None
        ``store``, ``region`` frame mapping region-level channels; default the store's own.
    region_split : {"broadcast", "sales_share"}, default "broadcast"
        How a region-level value reaches the region's stores (see the module docstring).
    share_window : int, default 28
        Days of trailing sales behind the ``"sales_share"`` weights.

    Raises
    ------
    ConfigError
        An unknown ``region_split``, a bad ``share_window`` or ``as_of``, a region-level channel
        without a stores frame, or ``panel`` not a Panel.
    FrequencyError
        The panel's grid is not daily.
    """
    return store.aligned_state(  # type: ignore[no-any-return]
        panel, as_of=as_of, stores=stores, region_split=region_split, share_window=share_window
    )


def cache_key(
    panel: Panel, *, as_of: object, tz: str, region_split: str, share_window: int
) -> tuple[str, int, int]:
    """Check the arguments of an alignment; the key its state is cached under in the store."""
    if not isinstance(panel, Panel):
        raise ConfigError(f"panel must be a pullcast Panel, got {type(panel).__name__}")
    _check_daily(panel)
    if region_split not in SPLITS:
        raise ConfigError(f"region_split must be one of {SPLITS}, got {region_split!r}")
    if not is_whole(share_window, 1):
        raise ConfigError(f"share_window must be a positive int, got {share_window!r}")
    as_of_ns = _as_of_ns(as_of, tz)
    return (region_split, as_of_ns, int(share_window) if region_split == "sales_share" else 0)


def resolve(
    source: EventSource,
    panel: Panel,
    key: tuple[str, int, int],
    *,
    stores: pd.DataFrame | None,
    share_window: int,
    cached: AlignedState | None,
) -> AlignedState:
    """The aligned state of ``panel`` for a :func:`cache_key` ``key``: ``cached`` updated or extended
    in place when it still fits, else a new state built from the event log. The caller (the store)
    keeps the cache."""
    region_split, as_of_ns, _ = key
    frame = stores
    needs_regions = [n for n, s in source.channels.items() if s.level == "region"]
    if needs_regions and frame is None:
        raise ConfigError(
            f"region-level channel(s) {needs_regions} need a stores frame (store, region): pass "
            "stores= to SignalStore or to aligned()"
        )
    state = cached
    regions = None
    if state is not None and state.version == source.version:
        reuse = state.panel is panel or (
            state.same_layout(panel)
            and (
                region_split == "broadcast"
                or np.array_equal(panel.values(), state.panel.values(), equal_nan=True)
            )
        )
        if reuse and frame is not state.stores:
            regions = _series_regions(source, panel, frame)
            reuse = np.array_equal(regions, state.series_region)
        if not reuse and frame is state.stores and state.extendable_to(panel):
            state.extend(panel)
            reuse = True
        if reuse:
            state.panel, state.stores = panel, frame
            state.update()
            return state
    if regions is None:
        regions = _series_regions(source, panel, frame)
    return AlignedState(
        source,
        panel,
        as_of_ns=as_of_ns,
        stores=frame,
        region_split=region_split,
        share_window=int(share_window),
        series_region=regions,
    )
