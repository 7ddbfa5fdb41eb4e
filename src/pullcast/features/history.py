"""The arrays features read: :class:`History`, built once from a Panel (and aligned signals)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from pullcast.panel import Panel

__all__ = ["History", "censor_mask"]


def censor_mask(panel: Panel) -> np.ndarray:
    """True where demand is censored by a stockout, from ``on_hand`` or ``in_stock`` if present.

    A day is censored when the stock record says zero (``on_hand <= 0`` or ``in_stock == 0``): either
    nothing could be sold, or the shelf sold out and demand was at least the units sold. Days with no
    stock information are not censored.
    """
    cols = panel.columns
    units = panel.values()
    mask = np.zeros(units.size, dtype=bool)
    if cols.on_hand in panel.value_columns:
        on_hand = panel.values(cols.on_hand)
        known = ~np.isnan(on_hand)
        mask |= known & (on_hand <= 0)
    if cols.in_stock in panel.value_columns:
        in_stock = panel.values(cols.in_stock)
        mask |= ~np.isnan(in_stock) & (in_stock <= 0)
    return mask


@dataclass
class History:
    """Flat arrays over the panel grid that feature builders read.

    Attributes
    ----------
    y : ndarray of float64
        Demand as known: units sold, NaN where censored by a stockout or missing.
    sold : ndarray of float64
        Units sold with missing days as zero (denominator of signal-to-sales ratios).
    indptr : ndarray of int64
    start_pos : ndarray of int64
        Grid position of each series' first element.
    grid : pandas.DatetimeIndex
        The panel's date grid.
    covariates : dict of str to ndarray
        Known-ahead numeric columns (price, promo, ...), float64.
    signals : dict of str to ndarray
        Aligned signal channels, float64.
    first_pos : ndarray of int64 or None
        Grid position of each series' first known period, kept when older periods are trimmed off
        (:meth:`tails`), so a series' age is the same in training and at prediction; None: ``start_pos``.
    """

    y: np.ndarray
    sold: np.ndarray
    indptr: np.ndarray
    start_pos: np.ndarray
    grid: pd.DatetimeIndex
    covariates: dict[str, np.ndarray] = field(default_factory=dict)
    signals: dict[str, np.ndarray] = field(default_factory=dict)
    first_pos: np.ndarray | None = None

    @classmethod
    def from_panel(
        cls,
        panel: Panel,
        covariates: tuple[str, ...],
        signals: dict[str, np.ndarray] | None = None,
    ) -> History:
        """Build the feature history of a panel; censored days become NaN demand."""
        units = panel.values().astype(np.float64)
        y = units.copy()
        y[censor_mask(panel)] = np.nan
        sold = np.nan_to_num(units, nan=0.0)
        covs = {c: panel.values(c).astype(np.float64) for c in covariates}
        sigs = {k: np.array(v, dtype=np.float64) for k, v in (signals or {}).items()}  # own copies
        return cls(y, sold, panel.indptr.copy(), panel.dates.start_pos.copy(), panel.dates.grid, covs, sigs)

    @property
    def n_series(self) -> int:
        return int(self.indptr.size - 1)

    @property
    def born(self) -> np.ndarray:
        """Grid position of each series' first known period (before any trimming)."""
        return self.start_pos if self.first_pos is None else self.first_pos

    def age(self, p: np.ndarray, cap: int) -> np.ndarray:
        """How new the series of flat positions ``p`` are: periods since their first known period, at
        most ``cap``. Series known from the grid's first period are established (``cap``): their start
        is not observed, and their age would only count days since the data began (a time index)."""
        s = self.series_of(p)
        age = (p - self.indptr[s]) + (self.start_pos - self.born)[s]
        return np.where(self.born[s] > 0, np.minimum(age, cap), cap)

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.indptr)

    def series_of(self, p: np.ndarray) -> np.ndarray:
        """Series number of flat positions ``p``."""
        return np.searchsorted(self.indptr, p, side="right") - 1

    def grid_pos(self, p: np.ndarray) -> np.ndarray:
        """Grid position of flat positions ``p``."""
        s = self.series_of(p)
        return self.start_pos[s] + (p - self.indptr[s])

    def last_positions(self) -> np.ndarray:
        """Flat position of each series' last element."""
        return self.indptr[1:] - 1

    def tails(self, n: int) -> History:
        """The last ``n`` periods of every series (all of it where shorter): the state kept for updates."""
        lengths = self.lengths
        keep = np.minimum(lengths, n)
        starts = self.indptr[1:] - keep
        indptr = np.zeros_like(self.indptr)
        np.cumsum(keep, out=indptr[1:])
        idx = np.arange(int(indptr[-1]), dtype=np.int64) + np.repeat(starts - indptr[:-1], keep)
        return replace(
            self,
            y=self.y[idx],
            sold=self.sold[idx],
            indptr=indptr,
            start_pos=self.start_pos + (lengths - keep),
            first_pos=self.born,
            covariates={k: v[idx] for k, v in self.covariates.items()},
            signals={k: v[idx] for k, v in self.signals.items()},
        )

    def until(self, grid_pos: int) -> History:
        """The history as it stood at grid position ``grid_pos`` (later periods cut off).

        Series that start after ``grid_pos`` keep zero periods.
        """
        lengths = self.lengths
        keep = np.clip(grid_pos - self.start_pos + 1, 0, lengths)
        indptr = np.zeros_like(self.indptr)
        np.cumsum(keep, out=indptr[1:])
        idx = np.arange(int(indptr[-1]), dtype=np.int64) + np.repeat(self.indptr[:-1] - indptr[:-1], keep)
        return replace(
            self,
            y=self.y[idx],
            sold=self.sold[idx],
            indptr=indptr,
            covariates={k: v[idx] for k, v in self.covariates.items()},
            signals={k: v[idx] for k, v in self.signals.items()},
        )
