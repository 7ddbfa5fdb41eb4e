"""The :class:`SignalStore`: append-only, in-memory storage of pull-signal events.

Time conventions
----------------
tz-naive timestamps are taken as local time in the panel's calendar (the store's ``tz``).
tz-aware timestamps (one timezone per column) are converted to ``tz`` (default "UTC") and made
naive, so a grid day is a calendar day in ``tz``. A column mixing timezones, or tz-aware with
tz-naive values, raises :class:`~pullcast.errors.SignalError`; so does appending tz-aware
timestamps to a store that holds tz-naive ones (or the reverse).

Duplicates and revisions
------------------------
Each channel's ``dedupe_key`` identifies one observation. Reports of one observation are ordered
by ``arrived_at`` (then by append order): a report equal to the previous one is a duplicate and
changes nothing; a different one is a revision, effective from its own arrival. The order in
which events are appended therefore does not matter, except between reports with the same
``arrived_at``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pullcast.columns import Columns
from pullcast.errors import ConfigError, SignalError
from pullcast.panel import Panel
from pullcast.signals import _fast, _ingest, align
from pullcast.signals._ingest import REASONS
from pullcast.signals._log import EventLog, KeyTable, Vocab
from pullcast.signals.align import AlignedState
from pullcast.signals.spec import ChannelSpec, infer_spec

__all__ = ["IngestReport", "SignalStore"]

_LEVEL_CODE = {"sku": 0, "region": 1, "store": 2}
DAY_NS = 86_400 * 10**9


@dataclass(frozen=True)
class IngestReport:
    """What :meth:`SignalStore.append` did with each input row.

    Attributes
    ----------
    n_rows : int
        Rows in the input frame; always ``accepted + rejected``.
    accepted : int
        Rows stored (duplicates included: they are stored and counted once).
    rejected : int
        Rows refused, each with a reason in :attr:`rejected_rows`.
    duplicates : int
        Accepted rows repeating the previous report of the same observation (no effect).
    revisions : int
        Accepted rows changing the value of an observation already reported.
    rejected_rows : pandas.DataFrame
        The refused input rows (original columns and index) plus a ``reason`` column.
    """

    n_rows: int
    accepted: int
    rejected: int
    duplicates: int
    revisions: int
    rejected_rows: pd.DataFrame = field(repr=False)

    @property
    def reasons(self) -> dict[str, int]:
        """Number of rejected rows per reason."""
        if self.rejected == 0:
            return {}
        return {str(k): int(v) for k, v in self.rejected_rows["reason"].value_counts().items()}


class SignalStore:
    """Append-only, in-memory store of pull-signal events, aligned as-of to a sales :class:`Panel`.

    Parameters
    ----------
    channels : iterable of ChannelSpec, mapping of name to ChannelSpec, or None, default None
        The known channels. With ``None`` every channel is accepted and its spec is inferred when
        first met (docs/concepts/signals.md: level from the columns present, ``"sum"``, no delay); with
        specs, events of other channels are rejected ("unknown channel").
    columns : Columns, default Columns()
        Column names of the events and stores frames.
    stores : pandas.DataFrame or None, default None
        The store universe with its regions (``store``, ``region`` columns). Events at an unknown
        store or region are rejected, and region-level channels are mapped to stores with it.
        None accepts any store and region.
    skus : iterable or None, default None
        The SKU universe; events for other SKUs are rejected. None accepts any SKU.
    tz : str, default "UTC"
        The timezone of the panel's calendar days; tz-aware timestamps are converted to it.

    Notes
    -----
    Events are kept in columnar numpy arrays that grow by doubling, so appending k events costs
    O(k). See :meth:`aligned` for the as-of semantics and the incremental cache.
    """

    def __init__(
        self,
        channels: Iterable[ChannelSpec] | Mapping[str, ChannelSpec] | None = None,
        *,
        columns: Columns = Columns(),
        stores: pd.DataFrame | None = None,
        skus: Iterable[object] | None = None,
        tz: str = "UTC",
    ) -> None:
        self.columns = columns
        self.tz = tz
        self._infer = channels is None
        self._specs: dict[str, ChannelSpec] = {}
        self._codes: dict[str, int] = {}
        specs = list(channels.values()) if isinstance(channels, Mapping) else list(channels or [])
        for spec in specs:
            if not isinstance(spec, ChannelSpec):
                raise ConfigError(f"channels must be ChannelSpec objects, got {type(spec).__name__}")
            if spec.name in self._specs:
                raise ConfigError(f"channel {spec.name!r} is specified twice")
            self._register(spec)
        self._store_region: dict[object, object] | None = None
        self._regions: set[object] | None = None
        self.stores = None if stores is None else self._check_stores(stores)
        if self.stores is not None:
            self._store_region = dict(zip(self.stores["store"], self.stores["region"], strict=True))
            self._regions = set(self._store_region.values())
        self._skus = None if skus is None else set(skus)
        self.sku_vocab, self.store_vocab, self.region_vocab = Vocab(), Vocab(), Vocab()
        self.log = EventLog()
        self.keys = KeyTable()
        self._aware: bool | None = None
        self._rejected: list[pd.DataFrame] = []
        self.version = 0  # bumped when stored events' effects change retroactively
        self._states: dict[tuple[str, int, int], AlignedState] = {}  # the alignment cache
        self._last_state: AlignedState | None = None
        self._profiles: dict[str | None, tuple[tuple[int, int], pd.DataFrame]] = {}  # arrival_profile

    # ------------------------------------------------------------------ configuration
    def _register(self, spec: ChannelSpec) -> None:
        self._codes[spec.name] = len(self._specs)
        self._specs[spec.name] = spec

    def channel_code(self, name: str) -> int:
        """The integer code of channel ``name`` in the event log."""
        return self._codes[name]

    @property
    def channels(self) -> dict[str, ChannelSpec]:
        """The channel specs by name (a copy)."""
        return dict(self._specs)

    def _check_stores(self, stores: object) -> pd.DataFrame:
        if not isinstance(stores, pd.DataFrame):
            raise SignalError(f"stores must be a pandas DataFrame, got {type(stores).__name__}")
        cols = {self.columns.store: "store", self.columns.region: "region"}
        missing = [c for c in cols if c not in stores.columns]
        if missing:
            raise SignalError(f"stores frame is missing column(s) {missing}; it has {list(stores.columns)}")
        frame = stores[list(cols)].rename(columns=cols)
        dup = frame["store"].duplicated()
        if dup.any():
            raise SignalError(
                f"stores frame lists store {frame['store'][dup].iloc[0]!r} more than once; "
                "each store belongs to one region"
            )
        return frame.reset_index(drop=True)

    # ------------------------------------------------------------------ ingestion
    def __len__(self) -> int:
        return self.log.n

    def append(self, events: pd.DataFrame) -> IngestReport:
        """Validate and store a frame of events.

        Parameters
        ----------
        events : pandas.DataFrame
            Columns ``sku``, ``time``, ``channel``, ``value`` and optionally ``store``, ``region``,
            ``arrived_at`` (a missing ``arrived_at`` means ``time`` + the channel's delay) and any
            extra dedupe-key columns.

        Returns
        -------
        IngestReport
            Counts that reconcile with the input, and the rejected rows with reasons (also kept
            in :meth:`rejected`).

        Raises
        ------
        SignalError
            ``events`` is not a DataFrame, or a time column mixes timezones (or tz-awareness
            differs from what the store already holds).
        ColumnError
            A required column is missing, ``value`` is not numeric, or a time column is numeric.
        """
        frame = _ingest.canonical_frame(events, self.columns)
        n = len(frame)
        times = _ingest.parse_times(frame["time"], self.columns.time, self.tz)
        arrived = (
            _ingest.parse_times(frame["arrived_at"], self.columns.arrived_at, self.tz)
            if "arrived_at" in frame.columns
            else None
        )
        self._check_awareness(times.aware, None if arrived is None else arrived.aware)
        chan_codes, chan_table = self._channel_codes(frame, times.ns)
        specs = list(self._specs.values())
        levels = {s.level for s in specs}
        sku = self._label_codes(frame, "sku", self.sku_vocab, self._skus)
        store = self._label_codes(frame, "store", self.store_vocab, self._store_region, "store" in levels)
        region = self._label_codes(frame, "region", self.region_vocab, self._regions, "region" in levels)
        keymode, extra = self._key_modes(frame, chan_codes, chan_table, specs)
        value = frame["value"].to_numpy(dtype=np.float64, na_value=np.nan)
        empty_b = np.empty(0, dtype=np.bool_)
        empty_i = np.empty(0, dtype=np.int64)

        reason = np.empty(n, dtype=np.int8)
        status = np.empty(n, dtype=np.int8)
        log, keys = self.log, self.keys
        log.reserve(n)
        keys.reserve(n)
        seq0 = log.n
        stored, keys.n_keys = _fast.ingest_rows(
            chan_codes, chan_table,
            np.array([_LEVEL_CODE[s.level] for s in specs] + [0], dtype=np.int64),
            np.array([s.delay_ns for s in specs] + [0], dtype=np.int64),
            np.array([s.nonnegative for s in specs] + [False], dtype=np.bool_),
            keymode,
            *sku, *store, *region, extra, value,
            times.ns, times.unparseable if times.unparseable is not None else empty_b,
            arrived.ns if arrived is not None else empty_i,
            arrived.unparseable if arrived is not None and arrived.unparseable is not None else empty_b,
            reason, status,
            log.raw("chan"), log.raw("sku"), log.raw("loc"), log.raw("time"), log.raw("arr"),
            log.raw("value"), log.raw("prev"), log.raw("key"),
            seq0, keys.slots, keys.kh1, keys.kh2, keys.k_arr, keys.k_val, keys.n_keys,
        )  # fmt: skip
        log.n = seq0 + int(stored)
        ok_status = status[status >= 0]
        if (ok_status == 3).any():
            late = np.unique(log["key"][seq0:][ok_status == 3])
            ok_status = self._reorder_keys(late, seq0, ok_status)
        if self._aware is None:
            self._aware = times.aware if times.aware is not None else (arrived.aware if arrived else None)
        bad = np.flatnonzero(reason != 0)
        rejected_rows = events.iloc[bad].copy()
        rejected_rows["reason"] = np.asarray(REASONS, dtype=object)[reason[bad]]
        if bad.size:
            self._rejected.append(rejected_rows)
        return IngestReport(
            n_rows=n,
            accepted=int(stored),
            rejected=int(bad.size),
            duplicates=int((ok_status == 1).sum()),
            revisions=int((ok_status == 2).sum()),
            rejected_rows=rejected_rows,
        )

    def _check_awareness(self, a: bool | None, b: bool | None) -> None:
        if a is not None and b is not None and a != b:
            raise SignalError(
                f"columns {self.columns.time!r} and {self.columns.arrived_at!r} mix tz-aware and "
                "tz-naive timestamps; give both in one convention"
            )
        this = a if a is not None else b
        if this is not None and self._aware is not None and this != self._aware:
            held = "tz-aware" if self._aware else "tz-naive"
            given = "tz-aware" if this else "tz-naive"
            raise SignalError(
                f"this store holds {held} timestamps but the frame has {given} ones; "
                "keep one convention per store"
            )

    def _channel_codes(self, frame: pd.DataFrame, times_ns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        codes, uniques = _factorize(frame["channel"])
        table = np.full(len(uniques), -1, dtype=np.int64)
        for j, u in enumerate(uniques):
            name = str(u)
            if name not in self._specs and self._infer:
                rows = codes == j
                if rows.any():
                    self._register(infer_spec(name, frame, rows, times_ns))
            table[j] = self._codes.get(name, -1)
        return codes, table

    @staticmethod
    def _label_codes(
        frame: pd.DataFrame,
        name: str,
        vocab: Vocab,
        known: Mapping[object, object] | set[object] | None,
        needed: bool = True,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per-row factor codes (-1 missing) and per-factor vocabulary codes (-1 outside ``known``)."""
        if name not in frame.columns or not needed:
            return np.empty(0, dtype=np.int32), np.empty(0, dtype=np.int64)
        codes, uniques = _factorize(frame[name])
        uniq = list(uniques)
        good = [j for j, u in enumerate(uniq) if known is None or u in known]
        table = np.full(len(uniq), -1, dtype=np.int64)
        table[good] = vocab.encode(uniq[j] for j in good)
        return codes, table

    def _key_modes(
        self, frame: pd.DataFrame, chan_codes: np.ndarray, chan_table: np.ndarray, specs: list[ChannelSpec]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per channel the dedupe-key bits for the kernel; the hash of extra key columns per row."""
        bits = {"sku": 1, "store": 2, "region": 2, "time": 4}
        modes = np.zeros(len(specs) + 1, dtype=np.int64)
        extra = np.empty(0, dtype=np.uint64)
        for code, spec in enumerate(specs):
            others = [c for c in spec.key_columns if c not in bits]
            modes[code] = sum({bits[c] for c in spec.key_columns if c in bits}) + (8 if others else 0)
            if not others:
                continue
            if not all(c in frame.columns for c in others):
                modes[code] |= 16
                continue
            if extra.size == 0:
                extra = np.zeros(len(frame), dtype=np.uint64)
            rows = np.flatnonzero((chan_codes >= 0) & (chan_table[np.maximum(chan_codes, 0)] == code))
            h = np.zeros(len(rows), dtype=np.uint64)
            for c in others:
                h = _ingest.hash_labels(frame[c].iloc[rows], 1) ^ (h * np.uint64(31))
            extra[rows] = h
        return modes, extra

    def _reorder_keys(self, keys: np.ndarray, seq0: int, status: np.ndarray) -> np.ndarray:
        """Recompute, exactly, the previous value of every report of ``keys`` (arrival order);
        ``status`` is the stored rows' status from ``seq0`` on, returned corrected."""
        log = self.log
        rows = np.flatnonzero(np.isin(log["key"], keys))
        k, a, v = log["key"][rows], log["arr"][rows], log["value"][rows]
        order = np.lexsort((rows, a, k))
        rows, k, a, v = rows[order], k[order], a[order], v[order]
        first = np.r_[True, k[1:] != k[:-1]]
        prev = np.where(first, np.nan, np.r_[np.nan, v[:-1]])
        log["prev"][rows] = prev
        last = np.r_[k[1:] != k[:-1], True]
        self.keys.k_arr[k[last]] = a[last]
        self.keys.k_val[k[last]] = v[last]
        new = rows >= seq0
        status = status.copy()
        local = rows[new] - seq0
        p = prev[new]
        status[local] = np.where(np.isnan(p), 0, np.where(p == v[new], 1, 2))
        self.version += 1
        return status

    # ------------------------------------------------------------------ inspection
    def rejected(self) -> pd.DataFrame:
        """Every row rejected so far (original columns plus ``reason``), in append order."""
        if not self._rejected:
            return pd.DataFrame({"reason": pd.Series([], dtype=object)})
        return pd.concat(self._rejected)

    def events(self) -> pd.DataFrame:
        """The accepted events with canonical columns plus ``duplicate`` and ``revision`` flags."""
        log, names = self.log, list(self._specs)
        chan = log["chan"]
        level = np.array([_LEVEL_CODE[self._specs[c].level] for c in names], dtype=np.int8)[chan]
        loc = log["loc"].astype(np.int64)
        prev, value = log["prev"], log["value"]
        return pd.DataFrame(
            {
                "sku": self.sku_vocab.decode(log["sku"].astype(np.int64)),
                "store": self.store_vocab.decode(np.where(level == 2, loc, -1)),
                "region": self.region_vocab.decode(np.where(level == 1, loc, -1)),
                "channel": np.asarray(names, dtype=object)[chan],
                "time": log["time"].view("datetime64[ns]"),
                "arrived_at": log["arr"].view("datetime64[ns]"),
                "value": value,
                "duplicate": prev == value,
                "revision": ~np.isnan(prev) & (prev != value),
            }
        )

    def arrival_profile(self, channel: str | None = None) -> pd.DataFrame:
        """Event counts and values per channel, arrival day and hour of arrival.

        Columns ``channel``, ``date`` (arrival day), ``hour`` (0-23), ``events`` (reports, duplicates
        excluded) and ``value`` (sum of the reported values). Useful for intraday profiles. The table
        is computed once per state of the log (every nowcast reads it) and returned as a copy.
        """
        stamp = (self.log.n, self.version)
        cached = self._profiles.get(channel)
        if cached is None or cached[0] != stamp:
            cached = (stamp, self._arrival_profile(channel))
            self._profiles[channel] = cached
        return cached[1].copy()

    def _arrival_profile(self, channel: str | None) -> pd.DataFrame:
        log = self.log
        keep = ~(log["prev"] == log["value"])
        if channel is not None:
            if channel not in self._codes:
                raise ConfigError(f"unknown channel {channel!r}; known: {sorted(self._specs)}")
            keep &= log["chan"] == self._codes[channel]
        arr = log["arr"][keep]
        frame = pd.DataFrame(
            {
                "channel": np.asarray(list(self._specs), dtype=object)[log["chan"][keep]],
                "date": (arr - arr % DAY_NS).view("datetime64[ns]"),
                "hour": ((arr % DAY_NS) // (3600 * 10**9)).astype(np.int64),
                "value": log["value"][keep],
            }
        )
        out = frame.groupby(["channel", "date", "hour"], sort=True).agg(
            events=("value", "size"), value=("value", "sum")
        )
        return out.reset_index()

    # ------------------------------------------------------------------ alignment
    def aligned(
        self,
        panel: Panel,
        *,
        as_of: object = None,
        stores: pd.DataFrame | None = None,
        region_split: str = "broadcast",
        share_window: int = 28,
    ) -> dict[str, np.ndarray]:
        """Each channel aggregated as-of onto the panel's daily SKU x store grid.

        The value of a channel on grid day d is what became known during day d: events are placed
        on the calendar day of their ``arrived_at`` (``time`` + the channel's delay when absent), so
        ``aligned[d]`` depends only on events that arrived by the end of day d (and by ``as_of``).

        - ``"sum"``: the sum of the values that arrived that day; 0 on days when nothing arrived
          (also before the channel's first event). A revision adds ``new - old`` on its own
          arrival day; duplicates add nothing. Arrivals before the grid's first day are not shown.
        - ``"mean"`` / ``"last"``: on a day with arrivals, the mean of the values that arrived, or
          the value with the latest event ``time`` among them; carried forward to later days until
          a newer value arrives, never backward; NaN before the first arrival (values that arrived
          before the grid starts carry into it). A revision sets the level from its arrival day.

        SKU-level events feed every store series of the SKU, store-level events their
        (sku, store) series, region-level events the SKU's series at the region's stores (the
        ``stores`` frame): each gets the full value (``"broadcast"``) or the value times the store's
        share of the SKU's sales in the region over the ``share_window`` days ending the day before
        d (``"sales_share"``; equal shares when those stores sold nothing). Events that reach no
        series are counted in :attr:`unmatched`.

        Parameters
        ----------
        panel : Panel
            A daily panel; each output is a flat float64 array aligned with ``panel.indptr``.
        as_of : timestamp or None, default None
            Ignore events that arrived after it (a partial day if it falls within one); later days
            get nothing new (levels carry, sums are 0). tz-aware values are converted to ``tz``.
        stores : pandas.DataFrame or None, default None
            ``store``, ``region`` frame for region-level channels; default the store's own.
        region_split : {"broadcast", "sales_share"}, default "broadcast"
            How a region-level value reaches the region's stores.
        share_window : int, default 28
            Days of trailing sales behind the ``"sales_share"`` weights.

        Returns
        -------
        dict of str to ndarray
            One read-only flat array per channel. The arrays are views of a cached
            :class:`~pullcast.signals.AlignedState` that later calls update in place (cost
            proportional to the events appended since, not to the history): copy them to keep a
            snapshot. A panel that extends the cached one by days at the end (same series) is
            extended in place too; other panels rebuild the state from the event log.

        Raises
        ------
        ConfigError
            Unknown ``region_split``, bad ``share_window`` or ``as_of``, or a region-level channel
            without a stores frame.
        FrequencyError
            The panel is not daily.
        """
        return self.aligned_state(
            panel, as_of=as_of, stores=stores, region_split=region_split, share_window=share_window
        ).arrays()

    def aligned_state(
        self,
        panel: Panel,
        *,
        as_of: object = None,
        stores: pd.DataFrame | None = None,
        region_split: str = "broadcast",
        share_window: int = 28,
    ) -> AlignedState:
        """The cached :class:`~pullcast.signals.AlignedState` behind :meth:`aligned` (same arguments).

        The store owns the cache: up to ``MAX_STATES`` states, one per (split, as_of, window), each
        updated in place as events arrive.
        """
        key = align.cache_key(
            panel, as_of=as_of, tz=self.tz, region_split=region_split, share_window=share_window
        )
        frame = self._check_stores(stores) if stores is not None else self.stores
        cached = self._states.get(key)
        state = align.resolve(self, panel, key, stores=frame, share_window=share_window, cached=cached)
        if state is not cached:
            self._states.pop(key, None)
            self._states[key] = state
            while len(self._states) > align.MAX_STATES:
                self._states.pop(next(iter(self._states)))
        self._last_state = state
        return state

    @property
    def unmatched(self) -> pd.DataFrame:
        """Per-channel placement counts of the latest :meth:`aligned` call (``AlignedState.summary``)."""
        state = self._last_state
        if state is None:
            raise ConfigError("no alignment yet: call aligned(panel) first")
        return state.summary()


def _factorize(col: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Factor codes (int32, -1 for missing) and uniques; categoricals use their codes directly."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        codes = col.cat.codes.to_numpy()
        return codes.astype(np.int32, copy=False), col.cat.categories
    codes, uniques = pd.factorize(col)
    return codes.astype(np.int32, copy=False), pd.Index(uniques)
