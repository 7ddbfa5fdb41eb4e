"""The Panel: a long sales frame as grouped arrays ``(data, indptr)``.

Validation of sales frames happens here, once. Kernels and models downstream trust the arrays.
"""

from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from pullcast.columns import Columns
from pullcast.errors import (
    ColumnError,
    DataError,
    DateError,
    DuplicateRowError,
    FrequencyError,
    FrequencyWarning,
    ValueRangeError,
)

__all__ = ["Panel", "PanelDates", "describe_rows"]

FillMissing = Literal["zero", "nan"]
_MAX_LISTED = 5


def describe_rows(frame: pd.DataFrame, mask: np.ndarray, cols: list[str]) -> str:
    """Describe the first rows where ``mask`` holds, as ``col=value`` lists, for error messages."""
    idx = np.flatnonzero(np.asarray(mask))
    parts = []
    for i in idx[:_MAX_LISTED]:
        row = frame.iloc[int(i)]
        parts.append("(" + ", ".join(f"{c}={row[c]!r}" for c in cols if c in frame.columns) + ")")
    more = f" and {idx.size - _MAX_LISTED} more" if idx.size > _MAX_LISTED else ""
    return ", ".join(parts) + more


@dataclass(frozen=True)
class PanelDates:
    """Where each series sits on the shared date grid.

    Attributes
    ----------
    grid : pandas.DatetimeIndex
        Every period from the earliest to the latest date of the panel, at ``freq``.
    start_pos : ndarray of int64
        Position in ``grid`` of each series' first period.
    lengths : ndarray of int64
        Number of periods of each series.
    freq : str
        The pandas frequency alias of the grid.
    """

    grid: pd.DatetimeIndex
    start_pos: np.ndarray
    lengths: np.ndarray
    freq: str

    @property
    def start(self) -> pd.DatetimeIndex:
        """First date of each series."""
        return self.grid[self.start_pos]

    @property
    def end(self) -> pd.DatetimeIndex:
        """Last date of each series."""
        return self.grid[self.start_pos + self.lengths - 1]

    def positions(self) -> np.ndarray:
        """Grid position of every flat element (int64, aligned with the panel's data)."""
        total = int(self.lengths.sum())
        series = np.repeat(np.arange(self.lengths.size), self.lengths)
        first = np.concatenate(([0], np.cumsum(self.lengths)[:-1]))
        return (np.arange(total) - first[series] + self.start_pos[series]).astype(np.int64)

    def flat(self) -> np.ndarray:
        """The date of every flat element (datetime64[ns])."""
        return np.asarray(self.grid.values)[self.positions()]


class Panel:
    """Many SKU × store series as one flat array per column plus ``indptr``.

    Series ``i`` is ``data[indptr[i]:indptr[i+1]]``, in time order, with no gaps: missing
    periods inside a series are filled (and flagged in :attr:`filled`). Series may start and
    end on different dates. Build one with :meth:`from_frame`.

    Attributes
    ----------
    ids : pandas.DataFrame
        One row per series with the sku and store columns, sorted by (sku, store).
    indptr : ndarray of int64
        Series boundaries, length ``n_series + 1``.
    dates : PanelDates
        Each series' place on the shared date grid.
    filled : ndarray of bool
        True where the period was absent from the input frame and was filled.
    columns : Columns
        The column names in use.
    """

    def __init__(
        self,
        ids: pd.DataFrame,
        indptr: np.ndarray,
        dates: PanelDates,
        data: dict[str, np.ndarray],
        filled: np.ndarray,
        *,
        columns: Columns = Columns(),
        fill_missing: FillMissing = "zero",
        dtypes: dict[str, object] | None = None,
    ) -> None:
        self.ids = ids
        self.indptr = np.asarray(indptr, dtype=np.int64)
        self.dates = dates
        self._data = data
        self.filled = filled
        self.columns = columns
        self.fill_missing = fill_missing
        self._dtypes = dict(dtypes or {})

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_frame(
        cls,
        sales: pd.DataFrame,
        *,
        columns: Columns = Columns(),
        freq: str = "D",
        fill_missing: FillMissing = "zero",
        dtype: type | str = np.float32,
    ) -> Panel:
        """Validate a long sales frame and turn it into a Panel.

        Parameters
        ----------
        sales : pandas.DataFrame
            One row per (sku, store, date) with at least the sku, store, date and units columns;
            any other columns are kept (numeric ones become flat arrays, see :meth:`values`).
        columns : Columns, default Columns()
            The names of the sku, store, date and units columns.
        freq : str, default "D"
            The pandas frequency of the dates ("D", "W-SUN", "MS", ...).
        fill_missing : {"zero", "nan"}, default "zero"
            What a period missing inside a series gets for units: zero sales, or NaN (and then NaN
            units in the input are allowed too). Other numeric columns get NaN either way.
        dtype : numpy float dtype, default numpy.float32
            Storage type of the numeric arrays; float32 halves the memory of large panels.

        Raises
        ------
        DataError
            Not a DataFrame, or an empty frame, or null sku/store keys.
        ColumnError
            Missing columns, or non-numeric units.
        DateError
            A date column that cannot be read as dates.
        FrequencyError
            Dates off the ``freq`` grid.
        DuplicateRowError
            The same (sku, store, date) more than once.
        ValueRangeError
            Negative units, infinite units, or NaN units when ``fill_missing="zero"``.
        """
        if fill_missing not in ("zero", "nan"):
            raise DataError(f"fill_missing must be 'zero' or 'nan', got {fill_missing!r}")
        np_dtype = np.dtype(dtype)
        if np_dtype.kind != "f":
            raise DataError(f"dtype must be a float type, got {np_dtype}")
        frame = _validate_sales(sales, columns, allow_nan=fill_missing == "nan")
        sku, store, date, units = columns.sku, columns.store, columns.date, columns.units
        keys = [sku, store]

        grid, pos = _grid_positions(_to_dates(frame, columns), frame, columns, freq)
        # one integer key per row, (series in sku, store order, grid position); frames that come sorted
        # (the usual case) skip the sort, and a panel without gaps skips the scatter into the grid
        pair = _pair_codes(frame, sku, store)
        key = pair.astype(np.int64) * (len(grid) + 1)
        key += pos
        order: np.ndarray | None = None
        if not bool((key[1:] > key[:-1]).all()):
            order = np.argsort(key, kind="stable")
            del key
            pair, pos = pair[order], pos[order]
            same = np.flatnonzero((pair[1:] == pair[:-1]) & (pos[1:] == pos[:-1]))
            if same.size:
                dup = np.zeros(len(frame), dtype=bool)
                dup[order[same]] = dup[order[same + 1]] = True
                dates = _to_dates(frame, columns)
                raise DuplicateRowError(
                    f"each (sku, store, date) must appear once; found {int(dup.sum())} duplicated rows: "
                    + describe_rows(frame.assign(**{date: dates}), dup, [sku, store, date])
                )
        else:
            del key
        first_row = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
        del pair
        counts = np.diff(np.r_[first_row, pos.size])
        start_pos = pos[first_row].astype(np.int64)
        lengths = (pos[first_row + counts - 1] - start_pos + 1).astype(np.int64)
        indptr = np.zeros(lengths.size + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        total = int(indptr[-1])
        dense = total == pos.size  # every series complete: the rows already are the flat layout
        flat = None
        if not dense:
            flat = np.repeat(indptr[:-1] - start_pos, counts)
            flat += pos
        del pos

        filled = np.zeros(total, dtype=bool)
        if flat is not None:
            filled[:] = True
            filled[flat] = False
        data: dict[str, np.ndarray] = {}
        dtypes: dict[str, object] = {}
        for col in frame.columns:
            if col in (sku, store, date):
                continue
            series = frame[col]
            dtypes[col] = series.dtype
            numeric = _is_numeric(series)
            kind = np_dtype if numeric else np.dtype(object)
            values = (
                series.to_numpy(dtype=kind, na_value=np.nan) if numeric else series.to_numpy(dtype=object)
            )
            if order is not None:
                values = values[order]
            elif np.may_share_memory(values, series.to_numpy()):  # never a view of the caller's frame
                values = values.copy()
            if flat is None:
                data[col] = values
                continue
            arr = np.full(total, np.nan if numeric else None, dtype=kind)
            if col == units and fill_missing == "zero":
                arr[:] = 0.0
            arr[flat] = values
            data[col] = arr
        rows = first_row if order is None else order[first_row]
        ids = frame[keys].iloc[rows].reset_index(drop=True)
        return cls(
            ids,
            indptr,
            PanelDates(grid, start_pos, lengths, freq),
            data,
            filled,
            columns=columns,
            fill_missing=fill_missing,
            dtypes=dtypes,
        )

    # ------------------------------------------------------------------ access
    @property
    def n_series(self) -> int:
        """Number of series."""
        return int(self.indptr.size - 1)

    def __len__(self) -> int:
        return self.n_series

    @property
    def value_columns(self) -> list[str]:
        """Names of the stored columns (numeric and other)."""
        return list(self._data)

    def values(self, column: str | None = None) -> np.ndarray:
        """The flat array of a numeric column (default: units), aligned with :attr:`indptr`.

        Raises
        ------
        ColumnError
            If the column is absent or not numeric.
        """
        column = self.columns.units if column is None else column
        if column not in self._data:
            raise ColumnError(f"column {column!r} is not in the panel; it has {self.value_columns}")
        arr = self._data[column]
        if arr.dtype == object:
            raise ColumnError(f"column {column!r} is not numeric (dtype {self._dtypes[column]})")
        return arr

    def series(self, i: int, column: str | None = None) -> pd.Series:
        """Series ``i`` of a column as a date-indexed pandas Series."""
        s, e = int(self.indptr[i]), int(self.indptr[i + 1])
        start = int(self.dates.start_pos[i])
        index = self.dates.grid[start : start + e - s]
        return pd.Series(self.values(column)[s:e], index=index, name=column or self.columns.units)

    def series_codes(self) -> np.ndarray:
        """Series number of every flat element (int64)."""
        return np.repeat(np.arange(self.n_series, dtype=np.int64), np.diff(self.indptr))

    def to_frame(self, *, include_filled: bool = False) -> pd.DataFrame:
        """The panel back as a long frame sorted by (sku, store, date).

        Parameters
        ----------
        include_filled : bool, default False
            Also return the periods that were filled in; by default only the input's rows come back,
            with their original column types where the conversion is lossless.
        """
        keep = slice(None) if include_filled else ~self.filled
        codes = self.series_codes()[keep]
        out = self.ids.iloc[codes].reset_index(drop=True)
        out[self.columns.date] = self.dates.flat()[keep]
        for col, arr in self._data.items():
            values = arr[keep]
            out[col] = _restore(values, self._dtypes.get(col))
        return out

    def __repr__(self) -> str:
        grid = self.dates.grid
        return (
            f"Panel(n_series={self.n_series}, n_obs={int(self.indptr[-1])}, "
            f"dates={grid[0].date()}..{grid[-1].date()}, freq={self.dates.freq!r}, "
            f"columns={self.value_columns})"
        )


# ---------------------------------------------------------------------- validation helpers
def _label_kind(value: object) -> str:
    if isinstance(value, str):
        return "text"
    if isinstance(value, (bool, np.bool_, numbers.Number)):
        return "number"
    return type(value).__name__


def _id_codes(frame: pd.DataFrame, column: str) -> tuple[Any, Any]:
    """Sorted factorisation of an id column, refusing one that mixes text and numbers: 1 and '1' are two
    series here but one label once written to a file or sent through the service."""
    codes, uniques = pd.factorize(frame[column], sort=True)
    if uniques.dtype == object:
        kinds: dict[str, object] = {}
        for value in uniques:
            kinds.setdefault(_label_kind(value), value)
        if len(kinds) > 1:
            shown = ", ".join(f"{v!r} ({k})" for k, v in kinds.items())
            raise ColumnError(
                f"column {column!r} mixes label types: {shown}; make every label text (or every label a "
                f"number), e.g. frame[{column!r}].astype(str), so that 1 and '1' are not two series"
            )
    return codes, uniques


def _pair_codes(frame: pd.DataFrame, sku: str, store: str) -> np.ndarray:
    """Per row, the code of its (sku, store) pair, in sorted sku then store order (int32 when it fits)."""
    sku_codes, sku_uniques = _id_codes(frame, sku)
    store_codes, store_uniques = _id_codes(frame, store)
    wide = len(sku_uniques) * len(store_uniques) >= 2**31
    pair = sku_codes.astype(np.int64 if wide else np.int32)
    del sku_codes
    pair *= len(store_uniques)
    pair += store_codes.astype(pair.dtype, copy=False)
    return pair


def _is_numeric(series: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series))


def _restore(values: np.ndarray, dtype: object) -> np.ndarray:
    """Back to the input's integer/bool dtype where that loses nothing (no NaN from filling)."""
    if dtype is None or values.dtype == object:
        return values
    np_dtype = np.dtype(dtype) if isinstance(dtype, np.dtype) else None
    if np_dtype is not None and np_dtype.kind in "iub" and not np.isnan(values).any():
        return values.astype(np_dtype)
    return values


def _validate_sales(sales: pd.DataFrame, columns: Columns, *, allow_nan: bool) -> pd.DataFrame:
    if not isinstance(sales, pd.DataFrame):
        raise DataError(f"sales must be a pandas DataFrame, got {type(sales).__name__}")
    required = [columns.sku, columns.store, columns.date, columns.units]
    missing = [c for c in required if c not in sales.columns]
    if missing:
        raise ColumnError(
            f"sales frame is missing required column(s) {missing}; it has {list(sales.columns)}. "
            "Pass columns=Columns(...) if your columns have other names."
        )
    if len(sales) == 0:
        raise DataError("sales frame is empty: at least one row is needed")
    for key in (columns.sku, columns.store):
        nulls = sales[key].isna().to_numpy()
        if nulls.any():
            raise DataError(
                f"column {key!r} has {int(nulls.sum())} missing values; every row needs a sku and "
                "a store: " + describe_rows(sales, nulls, required)
            )
    units = sales[columns.units]
    if not _is_numeric(units):
        raise ColumnError(
            f"column {columns.units!r} must be numeric, found dtype {units.dtype} "
            f"(first value {units.iloc[0]!r})"
        )
    u = units.to_numpy(dtype=np.float64, na_value=np.nan)
    keys = [columns.sku, columns.store, columns.date]
    bad_inf = np.isinf(u)
    if bad_inf.any():
        raise ValueRangeError(
            f"column {columns.units!r} has {int(bad_inf.sum())} infinite values: "
            + describe_rows(sales, bad_inf, [*keys, columns.units])
        )
    bad_nan = np.isnan(u)
    if bad_nan.any() and not allow_nan:
        raise ValueRangeError(
            f"column {columns.units!r} has {int(bad_nan.sum())} NaN values "
            "(use fill_missing='nan' to keep missing sales as NaN): "
            + describe_rows(sales, bad_nan, [*keys, columns.units])
        )
    negative = u < 0
    if negative.any():
        raise ValueRangeError(
            f"column {columns.units!r} must be >= 0; found {int(negative.sum())} negative values: "
            + describe_rows(sales, negative, [*keys, columns.units])
        )
    return sales


def _to_dates(frame: pd.DataFrame, columns: Columns) -> pd.Series:
    col = frame[columns.date]
    keys = [columns.sku, columns.store, columns.date]
    if isinstance(col.dtype, pd.DatetimeTZDtype):
        raise DateError(
            f"column {columns.date!r} is timezone-aware ({col.dtype}); sales dates are local "
            "calendar dates: convert with .dt.tz_localize(None) first"
        )
    if pd.api.types.is_datetime64_any_dtype(col):
        parsed = col if col.dtype == "datetime64[ns]" else col.astype("datetime64[ns]")
    elif pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
        raise DateError(
            f"column {columns.date!r} must hold dates, found numeric dtype {col.dtype} "
            f"(first value {col.iloc[0]!r})"
        )
    else:
        parsed = pd.to_datetime(col, errors="coerce", format="mixed")
        if isinstance(parsed.dtype, pd.DatetimeTZDtype):
            raise DateError(f"column {columns.date!r} holds timezone-aware times; give plain dates")
        parsed = parsed.astype("datetime64[ns]")
    bad = parsed.isna().to_numpy()
    if bad.any():
        raise DateError(
            f"column {columns.date!r} has {int(bad.sum())} values that are not dates: "
            + describe_rows(frame, bad, keys)
        )
    return parsed


def _warn_sparse_dates(unique: pd.DatetimeIndex, where: np.ndarray, freq: str, columns: Columns) -> None:
    """FrequencyWarning when every date is a multiple of k > 1 grid periods from the first (weekly
    data read at freq="D", say): the k - 1 periods between would be filled. Needs 8 dates or more:
    a handful of dates can share a step by chance."""
    if unique.size < 8:
        return
    step = int(np.gcd.reduce(np.diff(where)))
    if step <= 1:
        return
    guess = pd.infer_freq(unique)
    hint = f"freq={guess!r}" if guess else "the frequency the data has"
    warnings.warn(
        f"every date in column {columns.date!r} is a multiple of {step} periods of freq={freq!r} apart "
        f"(e.g. {unique[0].date()}, {unique[1].date()}): the {step - 1} periods between each become periods "
        f"with no sales row (zero sales in a Forecaster). Pass {hint} if that is the data's frequency.",
        FrequencyWarning,
        stacklevel=4,
    )


def _grid_positions(
    dates: pd.Series, frame: pd.DataFrame, columns: Columns, freq: str
) -> tuple[pd.DatetimeIndex, np.ndarray]:
    try:
        offset = pd.tseries.frequencies.to_offset(freq)
    except ValueError as exc:
        raise FrequencyError(f"freq {freq!r} is not a pandas frequency: {exc}") from None
    unique = pd.DatetimeIndex(pd.unique(dates.to_numpy())).sort_values()
    sub_daily = isinstance(offset, pd.offsets.Tick) and offset.nanos < 86_400 * 10**9
    timed = unique != unique.normalize()
    if not sub_daily and timed.any():
        mask = dates.isin(set(unique[timed])).to_numpy()
        raise FrequencyError(
            f"column {columns.date!r} has times of day at frequency {freq!r}; give calendar "
            "dates (midnight): " + describe_rows(frame, mask, [columns.sku, columns.store, columns.date])
        )
    grid = pd.date_range(unique[0], unique[-1], freq=offset)
    if len(grid) == 0 or grid[0] != unique[0]:
        grid = pd.date_range(offset.rollforward(unique[0]), unique[-1], freq=offset)
    where = grid.get_indexer(unique)
    off = where < 0
    if off.any():
        bad_dates = set(unique[off])
        mask = dates.isin(bad_dates).to_numpy()
        raise FrequencyError(
            f"dates in column {columns.date!r} are not on the {freq!r} grid "
            f"(e.g. {unique[off][0]}); rows: "
            + describe_rows(frame, mask, [columns.sku, columns.store, columns.date])
        )
    _warn_sparse_dates(unique, where, freq, columns)
    stamps = dates.to_numpy().view(np.int64)
    steps = np.diff(grid.asi8)
    if steps.size and (steps == steps[0]).all():  # evenly spaced grid: arithmetic, no lookup
        pos = stamps - grid.asi8[0]
        pos //= steps[0]
    elif steps.size == 0:
        pos = np.zeros(stamps.size, dtype=np.int64)
    else:
        pos = np.searchsorted(grid.asi8, stamps)
    pos = pos.astype(np.int32)  # a grid position (a grid of 2**31 periods would not fit in memory)
    return grid, pos
