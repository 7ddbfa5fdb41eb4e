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
        keep: int | None = None,
    ) -> History:
        """Build the feature history of a panel; censored days become NaN demand.

        ``keep`` (default None: all) keeps only the last ``keep`` periods of every series, as
        :meth:`tails` would, without ever holding the whole panel in float64.
        """
        indptr, start_pos = panel.indptr, panel.dates.start_pos
        idx = None
        if keep is not None and int(panel.dates.lengths.max(initial=0)) > keep:
            idx, indptr, shift = _tail_index(indptr, keep)
            start_pos = start_pos + shift

        def take(values: np.ndarray) -> np.ndarray:  # always an own float64 copy, made once
            return (
                np.array(values, dtype=np.float64)
                if idx is None
                else values[idx].astype(np.float64, copy=False)
            )

        y = take(panel.values())
        sold = np.nan_to_num(y, nan=0.0)
        censored = censor_mask(panel)
        y[censored if idx is None else censored[idx]] = np.nan
        covs = {c: take(panel.values(c)) for c in covariates}
        sigs = {k: take(v) for k, v in (signals or {}).items()}
        first = None if idx is None else panel.dates.start_pos.copy()
        return cls(y, sold, indptr.copy(), start_pos.copy(), panel.dates.grid, covs, sigs, first)

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
        if int(lengths.max(initial=0)) <= n:
            return replace(self, first_pos=self.born)  # nothing to trim: the arrays are shared, not copied
        idx, indptr, shift = _tail_index(self.indptr, n)
        return replace(
            self,
            y=self.y[idx],
            sold=self.sold[idx],
            indptr=indptr,
            start_pos=self.start_pos + shift,
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


def _tail_index(indptr: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flat positions of the last ``n`` periods of every series, their indptr, and how many leading
    periods each series loses."""
    lengths = np.diff(indptr)
    keep = np.minimum(lengths, n)
    new = np.zeros_like(indptr)
    np.cumsum(keep, out=new[1:])
    idx = np.arange(int(new[-1]), dtype=np.int64)
    idx += np.repeat(indptr[1:] - keep - new[:-1], keep)
    return idx, new, lengths - keep
