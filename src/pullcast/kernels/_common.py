"""Argument checks and work splitting shared by the public kernel wrappers (plain Python, no Numba).

Kernels trust their arguments; every check happens here, once per call, and raises
:class:`pullcast.errors.ConfigError` with what was expected and what was found.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator
from contextlib import contextmanager

import numba
import numpy as np

from pullcast.errors import ConfigError

__all__ = [
    "as_data",
    "as_indptr",
    "check_float",
    "check_int",
    "check_min_periods",
    "check_state",
    "chunk_bounds",
    "threads_for",
]

_CHUNKS_PER_THREAD = 4
_SERIAL_BELOW = 200_000  # values; below this, waking the thread pool costs more than the work


def as_data(data: object, name: str = "data") -> np.ndarray:
    """Return ``data`` as a contiguous 1-D float32 or float64 array.

    float32 and float64 keep their dtype; integer and boolean arrays become float64.

    Parameters
    ----------
    data : array-like
        The flat values of all series.
    name : str, default "data"
        Argument name used in error messages.

    Returns
    -------
    ndarray
        A C-contiguous float32 or float64 array (a view when no copy is needed).
    """
    arr = np.asarray(data)
    if arr.ndim != 1:
        raise ConfigError(f"{name} must be a 1-D array; found {arr.ndim} dimensions (shape {arr.shape})")
    if arr.dtype == np.float32 or arr.dtype == np.float64:
        return np.ascontiguousarray(arr)
    if arr.dtype.kind in "iub":
        return np.ascontiguousarray(arr, dtype=np.float64)
    raise ConfigError(f"{name} must hold float32 or float64 numbers; found dtype {arr.dtype}")


def as_indptr(indptr: object, n_values: int) -> np.ndarray:
    """Return ``indptr`` as a contiguous int64 array after checking it describes ``n_values`` values.

    Parameters
    ----------
    indptr : array-like of int
        Series boundaries: series ``i`` is ``data[indptr[i]:indptr[i + 1]]``.
    n_values : int
        Length of the flat data array.

    Returns
    -------
    ndarray of int64
    """
    arr = np.asarray(indptr)
    if arr.ndim != 1 or arr.size == 0:
        raise ConfigError(f"indptr must be a non-empty 1-D integer array; found shape {arr.shape}")
    if arr.dtype.kind not in "iu":
        raise ConfigError(f"indptr must hold integers; found dtype {arr.dtype}")
    arr = np.ascontiguousarray(arr, dtype=np.int64)
    if arr[0] != 0:
        raise ConfigError(f"indptr must start at 0; found {arr[0]}")
    if arr[-1] != n_values:
        raise ConfigError(f"indptr must end at len(data) = {n_values}; found {arr[-1]}")
    steps = np.diff(arr)
    if steps.size and steps.min() < 0:
        bad = int(np.flatnonzero(steps < 0)[0])
        raise ConfigError(
            f"indptr must be non-decreasing; found indptr[{bad}] = {arr[bad]} > indptr[{bad + 1}] = "
            f"{arr[bad + 1]}"
        )
    return arr


def check_int(value: object, name: str, minimum: int) -> int:
    """Return ``value`` as an int after checking it is an integer ``>= minimum``.

    Parameters
    ----------
    value : int
        The argument to check.
    name : str
        Argument name used in the error message.
    minimum : int
        Smallest accepted value.

    Returns
    -------
    int
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ConfigError(f"{name} must be an integer >= {minimum}; found {value!r}")
    if value < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}; found {value}")
    return int(value)


def check_min_periods(min_periods: object, window: int) -> int:
    """Resolve ``min_periods`` (None means ``window``) and check ``0 <= min_periods <= window``.

    Parameters
    ----------
    min_periods : int or None
        Minimum number of non-NaN values in the window for a result.
    window : int
        The window length (already checked).

    Returns
    -------
    int
    """
    if min_periods is None:
        return window
    value = check_int(min_periods, "min_periods", 0)
    if value > window:
        raise ConfigError(f"min_periods must be <= window = {window}; found {value}")
    return value


def check_float(value: object, name: str, low: float, high: float, *, low_open: bool = False) -> float:
    """Return ``value`` as a float after checking it lies in ``[low, high]`` (``(low, high]`` if low_open).

    Parameters
    ----------
    value : float
        The argument to check.
    name : str
        Argument name used in the error message.
    low, high : float
        Accepted range (``high`` may be ``inf``).
    low_open : bool, default False
        Exclude ``low`` itself.

    Returns
    -------
    float
    """
    interval = f"{'(' if low_open else '['}{low}, {high}{')' if np.isinf(high) else ']'}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ConfigError(f"{name} must be a number in {interval}; found {value!r}")
    v = float(value)
    if not np.isfinite(v) or v < low or v > high or (low_open and v == low):
        raise ConfigError(f"{name} must be a number in {interval}; found {value!r}")
    return v


def check_state(state: object, n_series: int, width: int, name: str) -> np.ndarray:
    """Check a recursive-kernel state array: float64, C-contiguous, shape ``(n_series, width)``.

    The array is returned as is (not copied), because update forms advance it in place.

    Parameters
    ----------
    state : ndarray
        The state returned by the matching ``*_state`` function.
    n_series : int
        Number of series of the current call.
    width : int
        Number of state values per series.
    name : str
        Name of the kernel, for the error message.

    Returns
    -------
    ndarray of float64
    """
    if not isinstance(state, np.ndarray):
        raise ConfigError(f"state for {name} must be a numpy array from {name}_state; found {type(state)}")
    if state.dtype != np.float64 or state.shape != (n_series, width) or not state.flags.c_contiguous:
        raise ConfigError(
            f"state for {name} must be a C-contiguous float64 array of shape ({n_series}, {width}) "
            f"as returned by {name}_state; found dtype {state.dtype}, shape {state.shape}"
        )
    if not state.flags.writeable:
        raise ConfigError(f"state for {name} must be writeable: it is advanced in place")
    return state


def chunk_bounds(indptr: np.ndarray) -> np.ndarray:
    """Split the series into contiguous chunks of roughly equal total length, for ``prange``.

    With ``T`` Numba threads the series are cut into up to ``4 T`` chunks at series boundaries
    so that each chunk holds about the same number of values; ``prange`` over chunks then gives
    every thread a similar amount of work even when series lengths differ a lot.

    Parameters
    ----------
    indptr : ndarray of int64
        Checked series boundaries.

    Returns
    -------
    ndarray of int64
        Chunk boundaries in series numbers: chunk ``c`` holds series ``bounds[c]:bounds[c + 1]``.
    """
    n_series = indptr.size - 1
    n_threads = numba.get_num_threads()
    n_chunks = min(n_series, _CHUNKS_PER_THREAD * n_threads) if n_threads > 1 else min(n_series, 1)
    if n_chunks <= 1:
        return np.array([0, n_series], dtype=np.int64)
    total = int(indptr[-1])
    targets = (total * np.arange(1, n_chunks, dtype=np.int64)) // n_chunks
    cuts = np.searchsorted(indptr, targets, side="left")
    bounds = np.unique(np.concatenate(([0], cuts, [n_series])))
    return bounds.astype(np.int64)


@contextmanager
def threads_for(n_values: int) -> Iterator[None]:
    """Run a parallel driver on one thread when the input is small.

    Waking the thread pool costs tens of microseconds on an idle machine and milliseconds on a busy
    one, more than a kernel needs for fewer than ~200,000 values. ``numba.set_num_threads`` is
    thread-local, so this does not affect other Python threads.

    Parameters
    ----------
    n_values : int
        Number of values the driver will process.
    """
    if n_values >= _SERIAL_BELOW:
        yield
        return
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(before)
