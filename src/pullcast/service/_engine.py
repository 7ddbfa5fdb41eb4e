"""The service's forecasting state: a loaded Forecaster kept current with the durable store.

Writes (sales, signals) are serialised: each is applied to the forecaster, then committed to the
store, then acknowledged. Forecast reads share the state: the forecast of the current state is
computed once per state version and served from that immutable snapshot.
"""

from __future__ import annotations

import copy
import inspect
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pullcast.errors import DataError
from pullcast.forecast import Forecaster
from pullcast.service._store import Batch, DurableStore, decode_extra

__all__ = ["ForecastEngine", "RWLock", "Snapshot"]


class RWLock:
    """Many readers or one writer, phase-fair: readers arriving while a writer waits queue behind it,
    and the readers waiting when a writer leaves all go before the next writer. Neither side starves
    (a stream of ingests cannot hold off the forecast recomputation, nor the reverse).
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._waiting_writers = 0
        self._waiting_readers = 0
        self._phase = 0  # writer releases so far
        self._owed = 0  # readers that were waiting at the last writer release and are still to enter

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            mine = self._phase
            self._waiting_readers += 1
            while self._writer or (self._waiting_writers and mine == self._phase):
                self._cond.wait()
            self._waiting_readers -= 1
            if mine != self._phase and self._owed:
                self._owed -= 1
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if self._readers == 0:
                    self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._waiting_writers += 1
            while self._writer or self._readers or self._owed:
                self._cond.wait()
            self._waiting_writers -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._phase += 1
                self._owed = self._waiting_readers
                self._cond.notify_all()


@dataclass(frozen=True)
class Snapshot:
    """The forecast of one state version (never mutated; shared by concurrent readers).

    ``mean`` has shape (n_series, horizon) in the order of ``ids``; ``frame`` is the forecaster's
    prediction frame with pullcast's default column names; ``index`` maps (sku, store) to a row of ids.
    """

    version: int
    ids: pd.DataFrame
    index: dict[tuple[Any, Any], int]
    mean: np.ndarray
    dates: np.ndarray
    frame: pd.DataFrame
    covariates_source: str
    labels: list[tuple[Any, Any]]
    date_text: np.ndarray
    quantiles: dict[str, np.ndarray]
    rendered: dict[int, str] = field(default_factory=dict)  # JSON rows per series, filled on demand


class ForecastEngine:
    """A Forecaster loaded from ``model_dir`` plus every batch acknowledged in ``store``, replayed.

    Parameters
    ----------
    model_dir : str or Path
        A directory written by :meth:`Forecaster.save` (safe format; checked on load).
    store : DurableStore
        The durable store; its batches are replayed into the forecaster state on start.
    max_staleness : float, default 0.0
        Seconds for which forecasts may be served from the previous state after a write, while the
        new forecast is computed in the background. 0 means every forecast reflects every write
        acknowledged before it (the first read after a write waits for the recomputation).
    """

    def __init__(self, model_dir: str | Path, store: DurableStore, *, max_staleness: float = 0.0) -> None:
        self.model_dir = Path(model_dir)
        self.store = store
        self.max_staleness = float(max_staleness)
        self.lock = RWLock()
        self._snap_lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._stale_since = 0.0
        self._refreshing = threading.Event()
        self.version = 0
        self.forecaster = self._rebuild()
        self.supports_as_of = "as_of" in inspect.signature(Forecaster.predict).parameters

    # ------------------------------------------------------------------ start and replay
    def _rebuild(self) -> Forecaster:
        f = Forecaster.load(self.model_dir)
        self.forecaster = f
        self._int_labels: dict[str, bool] | None = None
        pending: list[pd.DataFrame] = []
        for batch in self.store.batches():
            if batch.kind == "signals":
                pending.append(self.events_frame(batch.rows))
                continue
            if pending:
                f.update(signals=self.user_names(pd.concat(pending, ignore_index=True)))
                pending = []
            self._replay_sales(f, batch)
        if pending:
            f.update(signals=self.user_names(pd.concat(pending, ignore_index=True)))
        self.version += 1
        return f

    def _replay_sales(self, f: Forecaster, batch: Batch) -> None:
        frame = self.sales_frame(batch.rows)
        last = self.last_dates()
        known = frame[["sku", "store"]].apply(tuple, axis=1).map(last)
        keep = known.isna().to_numpy() | (frame["date"] > known.fillna(pd.Timestamp.min)).to_numpy()
        if keep.any():
            f.update(sales=self.user_names(frame[keep].reset_index(drop=True)))

    def reset(self) -> None:
        """Reload the model and replay the store (after a failed commit left memory ahead of disk)."""
        with self.lock.write():
            self._snapshot = None
            self._rebuild()

    # ------------------------------------------------------------------ labels and frames
    @property
    def covariates(self) -> tuple[str, ...]:
        return tuple(self.forecaster.covariates_)

    @property
    def attributes(self) -> list[str]:
        static = self.forecaster.design_.static.frame
        return [c for c in static.columns if c not in ("sku", "store")]

    def label(self, value: Any, column: str) -> Any:
        """A SKU or store label as the model holds it (numbers stay numbers, else text)."""
        if self._int_labels is None:
            ids = self.forecaster.ids_
            self._int_labels = {c: bool(pd.api.types.is_integer_dtype(ids[c])) for c in ("sku", "store")}
        if self._int_labels.get(column, False):
            try:
                return int(value)
            except (TypeError, ValueError):
                return str(value)
        return None if value is None else str(value)

    def user_names(self, frame: pd.DataFrame) -> pd.DataFrame:
        mapping = self.forecaster.columns.user()
        return frame.rename(columns={k: v for k, v in mapping.items() if k in frame.columns and k != v})

    def events_frame(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Stored or requested event rows as a signal-events frame (default column names)."""
        frame = pd.DataFrame(
            {
                "sku": [self.label(v, "sku") for v in rows["sku"]],
                "time": pd.to_datetime(rows["time"]).astype("datetime64[ns]"),
                "channel": rows["channel"].astype(str).to_numpy(dtype=object),
                "value": rows["value"].to_numpy(dtype=np.float64),
                "store": [None if _missing(v) else self.label(v, "store") for v in rows["store"]],
                "region": [None if _missing(v) else str(v) for v in rows["region"]],
                "arrived_at": pd.to_datetime(rows["arrived_at"]).astype("datetime64[ns]"),
            }
        )
        return frame

    def sales_frame(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Stored sales rows (``extra`` JSON) as a sales frame with default column names."""
        extras = [decode_extra(t) for t in rows["extra"]]
        frame = pd.DataFrame(
            {
                "sku": [self.label(v, "sku") for v in rows["sku"]],
                "store": [self.label(v, "store") for v in rows["store"]],
                "date": pd.to_datetime(rows["date"]).astype("datetime64[ns]"),
                "units": rows["units"].to_numpy(dtype=np.float64),
            }
        )
        for col in ("on_hand", "in_stock"):
            values = pd.to_numeric(rows[col], errors="coerce").to_numpy(dtype=np.float64)
            if not np.isnan(values).all():
                frame[col] = values
        for col in self.covariates:
            frame[col] = [c.get(col, np.nan) for c, _ in extras]
        for col in self.attributes:
            frame[col] = pd.Series([a.get(col) for _, a in extras], dtype=object)
        return frame

    def last_dates(self) -> dict[tuple[Any, Any], pd.Timestamp]:
        """The last known sales day of every series."""
        state, ids = self.forecaster.state_, self.forecaster.ids_
        last = state.grid[state.grid_pos(state.last_positions())]
        return dict(zip(zip(ids["sku"], ids["store"], strict=True), last, strict=True))

    # ------------------------------------------------------------------ writes
    def ingest_signals(self, frame: pd.DataFrame, n_rows: int) -> Any:
        """Append events (default column names); commit the accepted ones; return the ingest report."""
        f = self.forecaster
        if f.signal_store_ is None:
            raise DataError("events: this model was fit without signals; it cannot take signal events")
        with self.lock.write():
            f.update(signals=self.user_names(frame))
            report = f.last_ingest_
            accepted = frame.drop(index=report.rejected_rows.index)
            self._commit("signals", accepted, n_rows)
        return report

    def ingest_sales(self, rows: pd.DataFrame, frame: pd.DataFrame) -> tuple[int, int]:
        """Append sales days; commit ``rows`` (store layout); return (series updated, new series)."""
        with self.lock.write():
            f = self.forecaster
            before = len(f.ids_)
            f.update(sales=self.user_names(frame))
            new = len(f.ids_) - before
            self._commit("sales", rows, len(rows))
        touched = len(frame[["sku", "store"]].drop_duplicates())
        return touched, new

    def _commit(self, kind: str, rows: pd.DataFrame, n_rows: int) -> None:
        import duckdb

        if len(rows) == 0:
            return  # nothing accepted: the state did not change
        snap = self._snapshot
        if snap is not None and snap.version == self.version:
            self._stale_since = time.monotonic()
        self.version += 1
        try:
            self.store.write(kind, rows, n_rows=n_rows)
        except duckdb.Error:
            # memory is ahead of disk: rebuild from what is durable, then report the failure
            self._snapshot = None
            self._rebuild()
            raise

    # ------------------------------------------------------------------ reads
    def snapshot(self) -> tuple[Snapshot, bool]:
        """The forecast of the current state, and whether it is stale (see ``max_staleness``)."""
        snap = self._snapshot
        if snap is not None and snap.version == self.version:
            return snap, False
        if snap is not None and time.monotonic() - self._stale_since < self.max_staleness:
            if not self._refreshing.is_set():
                self._refreshing.set()
                threading.Thread(target=self._refresh, name="pullcast-refresh", daemon=True).start()
            return snap, True
        return self._refresh(), False

    def _refresh(self) -> Snapshot:
        try:
            with self._snap_lock:
                snap = self._snapshot
                if snap is None or snap.version != self.version:
                    snap = self.compute(None, None)
                    if self._snapshot is None or self._snapshot.version < snap.version:
                        self._snapshot = snap
                return snap
        finally:
            self._refreshing.clear()

    def compute(self, future: pd.DataFrame | None, as_of: pd.Timestamp | None) -> Snapshot:
        """Predict the current state; ``future`` with default names or None (carry covariates forward).

        The read lock is held only to pin the state when possible: for the plain forecast of a LightGBM
        model the forecaster is copied (attribute references; ``update`` replaces its state objects rather
        than mutating them) and predicts outside the lock, so writes never wait for a forecast. Nowcasts
        (``as_of``) and request futures read the signal store, so they predict under the lock.
        """
        from pullcast.models.lgbm import GlobalLGBM

        with self.lock.read():
            version, live = self.version, self.forecaster
            source = "none"
            if self.covariates:
                source = "request" if future is not None else "carried forward"
                if future is None:
                    future = self.carried_forward(live)
            fut = None if future is None else self.user_names(future)
            kwargs: dict[str, Any] = {} if as_of is None else {"as_of": as_of}
            if as_of is not None or source == "request" or not isinstance(live.model_, GlobalLGBM):
                return self._snapshot_of(live, live.predict(fut, **kwargs), version, source)
            pinned = copy.copy(live)  # one consistent set of state references, taken under the lock
        return self._snapshot_of(pinned, pinned.predict(fut), version, source)

    def _snapshot_of(self, f: Forecaster, frame: pd.DataFrame, version: int, source: str) -> Snapshot:
        frame = frame.rename(columns={v: k for k, v in f.columns.user().items() if v in frame.columns})
        horizon = int(f.horizon)
        ids = frame[["sku", "store"]].iloc[::horizon].reset_index(drop=True)  # predict is series-major
        n = len(ids)
        if len(frame) != n * horizon:
            raise DataError(f"forecast has {len(frame)} rows, expected {n} series x {horizon} days")
        keys = list(zip(ids["sku"].tolist(), ids["store"].tolist(), strict=True))
        qcols = [c for c in frame.columns if c.startswith("p") and c[1:].replace(".", "", 1).isdigit()]
        return Snapshot(
            version=version,
            ids=ids,
            index={k: i for i, k in enumerate(keys)},
            labels=keys,
            date_text=np.asarray(pd.DatetimeIndex(frame["date"]).strftime("%Y-%m-%d"), dtype=object).reshape(
                n, horizon
            ),
            quantiles={c: frame[c].to_numpy(dtype=np.float64).reshape(n, horizon) for c in qcols},
            mean=frame["forecast"].to_numpy(dtype=np.float64).reshape(n, horizon),
            dates=frame["date"].to_numpy().reshape(n, horizon),
            frame=frame,
            covariates_source=source,
        )

    def carried_forward(self, f: Forecaster) -> pd.DataFrame:
        """Future covariates: each series' last known value of each covariate, over its forecast dates."""
        state, ids = f.state_, f.ids_
        horizon = int(f.horizon)
        last = pd.DatetimeIndex(state.grid[state.grid_pos(state.last_positions())])
        offset = pd.tseries.frequencies.to_offset(f.freq)
        dates = np.stack([np.asarray((last + offset * h).values) for h in range(1, horizon + 1)], axis=1)
        codes = np.repeat(np.arange(len(ids)), state.lengths)
        out = pd.DataFrame(
            {
                "sku": np.repeat(ids["sku"].to_numpy(), horizon),
                "store": np.repeat(ids["store"].to_numpy(), horizon),
                "date": dates.reshape(-1),
            }
        )
        for col in self.covariates:
            values = pd.Series(state.covariates[col]).groupby(codes).last()
            out[col] = np.repeat(values.reindex(range(len(ids))).to_numpy(), horizon)
        return out

    def sample_paths(self, snap: Snapshot, rows: np.ndarray, n: int, seed: int) -> np.ndarray:
        """Joint demand paths (len(rows), n, horizon) of the series ``rows`` of the snapshot."""
        dist = self.forecaster.distribution_
        sub = replace(dist, alpha=np.asarray(dist.alpha_of(rows), dtype=np.float64))
        return np.asarray(sub.sample_paths(snap.mean[rows], int(n), np.random.default_rng(seed)))

    def close(self) -> None:
        self.store.close()


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA
