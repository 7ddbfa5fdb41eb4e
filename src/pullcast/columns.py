"""The column contract: one frozen :class:`Columns` names every column pullcast reads or writes.

Every public entry point accepts ``columns=Columns(...)`` once, so a frame with its own names
(``item_id``, ``store_id``, ``d``, ``sales``) never needs renaming by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

__all__ = ["Columns", "FORECAST_MEAN", "quantile_name"]

FORECAST_MEAN = "forecast"


@dataclass(frozen=True)
class Columns:
    """Names of the columns in sales, signal-event, store and forecast frames.

    Parameters
    ----------
    sku : str, default "sku"
    store : str, default "store"
    date : str, default "date"
    units : str, default "units"
        Units sold in the period (the target).
    price, promo, on_hand, in_stock : str
        Optional sales-frame columns, defaults "price", "promo", "on_hand", "in_stock".
    time : str, default "time"
        Event time of a signal event.
    channel : str, default "channel"
    value : str, default "value"
    region : str, default "region"
    arrived_at : str, default "arrived_at"
        When a signal event became known.
    """

    sku: str = "sku"
    store: str = "store"
    date: str = "date"
    units: str = "units"
    price: str = "price"
    promo: str = "promo"
    on_hand: str = "on_hand"
    in_stock: str = "in_stock"
    time: str = "time"
    channel: str = "channel"
    value: str = "value"
    region: str = "region"
    arrived_at: str = "arrived_at"

    @property
    def keys(self) -> list[str]:
        """The series key columns, ``[sku, store]``."""
        return [self.sku, self.store]

    def to_dict(self) -> dict[str, str]:
        """Plain ``{field: column name}`` mapping (JSON-safe)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def canonical(self) -> dict[str, str]:
        """Mapping from user column names to pullcast's default names (for ``DataFrame.rename``)."""
        default = Columns()
        return {getattr(self, f.name): getattr(default, f.name) for f in fields(self)}

    def user(self) -> dict[str, str]:
        """Mapping from pullcast's default names back to the user's names."""
        return {v: k for k, v in self.canonical().items()}


def quantile_name(q: float) -> str:
    """Column name of quantile ``q``: ``0.1 -> "p10"``, ``0.025 -> "p2.5"``, ``0.5 -> "p50"``.

    Raises
    ------
    ValueError
        If ``q`` is not strictly between 0 and 1.
    """
    if not 0.0 < float(q) < 1.0:
        raise ValueError(f"quantile must be strictly between 0 and 1, got {q!r}")
    pct = round(float(q) * 100.0, 6)
    text = f"{pct:.6f}".rstrip("0").rstrip(".")
    return f"p{text}"
