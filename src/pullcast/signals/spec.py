"""Channel specifications: how a pull-signal channel is observed, aggregated and reported."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

import numpy as np
import pandas as pd

from pullcast.errors import ConfigError

__all__ = ["AGGS", "LEVELS", "ChannelSpec", "infer_spec"]

Level = Literal["sku", "region", "store"]
Agg = Literal["sum", "mean", "last"]
LEVELS: tuple[str, ...] = ("sku", "region", "store")
AGGS: tuple[str, ...] = ("sum", "mean", "last")


@dataclass(frozen=True)
class ChannelSpec:
    """How one signal channel is observed, aggregated to days and reported.

    Parameters
    ----------
    name : str
        The channel name, as found in the events' ``channel`` column.
    level : {"sku", "region", "store"}, default "sku"
        Where the signal is observed: per SKU (mapped to every store of the SKU), per SKU and
        region (mapped to the region's stores through a ``stores`` frame), or per SKU and store.
    agg : {"sum", "mean", "last"}, default "sum"
        How the events that became known during one day combine. ``"sum"`` gives a daily flow (0 on
        days when nothing arrived); ``"mean"`` and ``"last"`` give a level that is carried forward
        until a newer value arrives (NaN before the first one).
    delay : datetime.timedelta or str, default timedelta(0)
        The reporting delay: an event without ``arrived_at`` is taken to arrive at ``time + delay``.
        Anything :class:`pandas.Timedelta` accepts ("2D", "6h", ...) is converted; it must be >= 0.
    dedupe_key : tuple of str or None, default None
        The columns that identify one observation within the channel: two events with equal
        values in them are the same observation, so an equal value is a duplicate (counted once)
        and a different value that arrives later is a revision. ``None`` means
        ``("sku", <level column>, "time")`` (``("sku", "time")`` at SKU level). Names are the
        canonical ones ("sku", "store", "region", "time") or any other column of the events frame
        (e.g. ``"event_id"``).
    nonnegative : bool, default True
        Reject events with a negative value (counts cannot be negative); set False for channels
        such as sentiment scores.

    Raises
    ------
    ConfigError
        On an empty name, an unknown level or agg, a negative or unreadable delay, or a malformed
        ``dedupe_key``.
    """

    name: str
    level: Level = "sku"
    agg: Agg = "sum"
    delay: timedelta | str = timedelta(0)
    dedupe_key: tuple[str, ...] | None = None
    nonnegative: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ConfigError(f"ChannelSpec.name must be a non-empty string, got {self.name!r}")
        if self.level not in LEVELS:
            raise ConfigError(f"channel {self.name!r}: level must be one of {LEVELS}, got {self.level!r}")
        if self.agg not in AGGS:
            raise ConfigError(f"channel {self.name!r}: agg must be one of {AGGS}, got {self.agg!r}")
        try:
            delay = pd.Timedelta(self.delay)
        except (TypeError, ValueError) as exc:
            raise ConfigError(
                f"channel {self.name!r}: delay must be a timedelta (e.g. '2D'), got {self.delay!r}: {exc}"
            ) from None
        if pd.isna(delay) or delay < pd.Timedelta(0):
            raise ConfigError(f"channel {self.name!r}: delay must be >= 0, got {self.delay!r}")
        object.__setattr__(self, "delay", delay.to_pytimedelta())
        if self.dedupe_key is not None:
            key = self.dedupe_key
            if isinstance(key, str) or not all(isinstance(c, str) and c for c in key) or not key:
                raise ConfigError(
                    f"channel {self.name!r}: dedupe_key must be a non-empty tuple of column names, "
                    f"got {key!r}"
                )
            if len(set(key)) != len(key):
                raise ConfigError(f"channel {self.name!r}: dedupe_key repeats a column: {key!r}")
            object.__setattr__(self, "dedupe_key", tuple(key))
        if not isinstance(self.nonnegative, bool):
            raise ConfigError(f"channel {self.name!r}: nonnegative must be a bool, got {self.nonnegative!r}")

    @property
    def delay_ns(self) -> int:
        """The delay in nanoseconds."""
        return int(pd.Timedelta(self.delay).value)

    @property
    def key_columns(self) -> tuple[str, ...]:
        """The dedupe key with the default filled in (canonical column names)."""
        if self.dedupe_key is not None:
            return self.dedupe_key
        if self.level == "sku":
            return ("sku", "time")
        return ("sku", self.level, "time")


_DAY_NS = 86_400 * 10**9
_NAT = np.iinfo(np.int64).min


def infer_spec(
    name: str, frame: pd.DataFrame, rows: np.ndarray | None = None, times_ns: np.ndarray | None = None
) -> ChannelSpec:
    """The spec of a channel met in a plain events frame (docs/concepts/signals.md).

    The level comes from the columns present: a ``store`` column with values for this channel's
    rows gives store level, else a ``region`` column gives region level, else SKU level. The
    aggregation comes from the cadence of the observation times ``times_ns`` (int64 ns, NaT as the
    int64 minimum): when the distinct times are a median of two days or more apart (a weekly
    index such as Google Trends) each value describes a period, so it is carried forward
    (``"last"``); otherwise (daily or finer counts, or fewer than three distinct times) the values
    are a daily flow (``"sum"``). There is no reporting delay. ``frame`` uses canonical names and
    ``rows`` (a boolean mask or None for all rows) selects the channel's rows. Pass a
    :class:`ChannelSpec` to the store to state any of this explicitly.
    """
    agg: Agg = "sum"
    if times_ns is not None:
        t = times_ns if rows is None else times_ns[rows]
        t = np.unique(t[t != _NAT])
        if t.size >= 3 and float(np.median(np.diff(t))) >= 2 * _DAY_NS:
            agg = "last"
    for level in ("store", "region"):
        if level in frame.columns:
            col = frame[level] if rows is None else frame[level][rows]
            if bool(col.notna().any()):
                return ChannelSpec(name, level=level, agg=agg)  # type: ignore[arg-type]
    return ChannelSpec(name, level="sku", agg=agg)
