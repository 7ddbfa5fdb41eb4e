"""The durable store of the service: acknowledged signal events and sales rows in one DuckDB file.

Every write is one transaction committed before the service answers, so whatever was acknowledged
survives a crash. Rows carry the sequence number of the request (``seq``) that brought them, so a
restart replays them in the order they were acknowledged.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pullcast.errors import ConfigError

__all__ = ["Batch", "DurableStore"]

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS batches (
        seq BIGINT PRIMARY KEY, kind VARCHAR NOT NULL, received_at TIMESTAMP NOT NULL,
        n_rows BIGINT NOT NULL, accepted BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS events (
        seq BIGINT NOT NULL, sku VARCHAR NOT NULL, store VARCHAR, region VARCHAR, channel VARCHAR NOT NULL,
        time TIMESTAMP NOT NULL, arrived_at TIMESTAMP, value DOUBLE NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS sales (
        seq BIGINT NOT NULL, sku VARCHAR NOT NULL, store VARCHAR NOT NULL, date DATE NOT NULL,
        units DOUBLE NOT NULL, on_hand DOUBLE, in_stock DOUBLE, extra VARCHAR NOT NULL)""",
)
EVENT_COLUMNS = ["sku", "store", "region", "channel", "time", "arrived_at", "value"]
SALES_COLUMNS = ["sku", "store", "date", "units", "on_hand", "in_stock", "extra"]


@dataclass(frozen=True)
class Batch:
    """One acknowledged request: ``kind`` is "signals" or "sales"; ``rows`` as stored."""

    seq: int
    kind: str
    rows: pd.DataFrame


class DurableStore:
    """Signal events and sales rows in a DuckDB file (created when absent).

    Parameters
    ----------
    path : str or Path
        The database file.
    """

    def __init__(self, path: str | Path) -> None:
        import duckdb

        self.path = Path(path)
        if self.path.parent and not self.path.parent.is_dir():
            raise ConfigError(f"database folder {self.path.parent} does not exist")
        try:
            self._con = duckdb.connect(str(self.path))
        except duckdb.Error as exc:
            raise ConfigError(f"cannot open the DuckDB store {self.path}: {exc}") from None
        self._lock = threading.Lock()
        self._con.execute("SET threads = 1")  # small transactions: DuckDB's own threads only contend
        for statement in _SCHEMA:
            self._con.execute(statement)
        self.next_seq = int(self._scalar("SELECT coalesce(max(seq), 0) FROM batches")) + 1
        self.n_events = int(self._scalar("SELECT count(*) FROM events"))
        self.n_sales = int(self._scalar("SELECT count(*) FROM sales"))
        self.closed = False

    def _scalar(self, sql: str) -> Any:
        row = self._con.execute(sql).fetchone()
        return None if row is None else row[0]

    def ping(self) -> bool:
        """Whether the database answers."""
        import duckdb

        if self.closed:
            return False
        try:
            with self._lock:
                return self._scalar("SELECT 1") == 1
        except duckdb.Error:
            return False

    def counts(self) -> dict[str, int]:
        """Rows held per table, counted in the database."""
        with self._lock:
            return {
                "events": int(self._scalar("SELECT count(*) FROM events")),
                "sales": int(self._scalar("SELECT count(*) FROM sales")),
                "batches": int(self._scalar("SELECT count(*) FROM batches")),
            }

    def write(self, kind: str, rows: pd.DataFrame, *, n_rows: int) -> int:
        """Store one acknowledged batch (``rows`` with the table's columns) in one transaction; its seq."""
        table, columns = ("events", EVENT_COLUMNS) if kind == "signals" else ("sales", SALES_COLUMNS)
        seq = self.next_seq
        frame = rows[columns].copy()
        frame.insert(0, "seq", seq)
        with self._lock:
            con = self._con
            con.execute("BEGIN TRANSACTION")
            try:
                con.register("_batch", frame)
                con.execute(f"INSERT INTO {table} SELECT {', '.join(['seq', *columns])} FROM _batch")
                con.unregister("_batch")
                con.execute(
                    "INSERT INTO batches VALUES (?, ?, now()::TIMESTAMP, ?, ?)",
                    [seq, kind, n_rows, len(rows)],
                )
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        self.next_seq += 1
        if kind == "signals":
            self.n_events += len(rows)
        else:
            self.n_sales += len(rows)
        return seq

    def batches(self) -> Iterator[Batch]:
        """Every stored batch in acknowledgement order."""
        with self._lock:
            kinds = self._con.execute("SELECT seq, kind FROM batches ORDER BY seq").fetchall()
            events = self._con.execute(f"SELECT seq, {', '.join(EVENT_COLUMNS)} FROM events").df()
            sales = self._con.execute(f"SELECT seq, {', '.join(SALES_COLUMNS)} FROM sales").df()
        by_seq = {
            "signals": dict(tuple(events.groupby("seq", sort=False))) if len(events) else {},
            "sales": dict(tuple(sales.groupby("seq", sort=False))) if len(sales) else {},
        }
        for seq, kind in kinds:
            rows = by_seq[kind].get(seq)
            if rows is not None:
                yield Batch(int(seq), kind, rows.drop(columns="seq").reset_index(drop=True))

    def close(self) -> None:
        """Close the database (idempotent)."""
        with self._lock:
            if not self.closed:
                self._con.close()
                self.closed = True


def encode_extra(covariates: dict[str, float], attributes: dict[str, str]) -> str:
    """The ``extra`` column: covariates and attributes of a sales row as JSON."""
    return json.dumps({"c": covariates, "a": attributes}, sort_keys=True)


def decode_extra(text: str) -> tuple[dict[str, float], dict[str, str]]:
    """Inverse of :func:`encode_extra`."""
    obj = json.loads(text)
    return dict(obj["c"]), dict(obj["a"])
