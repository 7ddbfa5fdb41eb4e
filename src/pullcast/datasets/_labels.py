"""Fast string columns from integer codes (pyarrow ``take`` when available)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["labels", "string_dtype"]


def string_dtype() -> object:
    """The dtype for label columns: pandas' ``str`` where it is a string dtype (pandas 3, or 2.x with
    ``future.infer_string``), else ``object``.

    Under pandas 2.x the alias ``"str"`` is numpy's unicode type, which turns a missing value into the
    four-letter label ``"None"``; that once made every SKU- and region-level event of the synthetic
    data look like a store-level event at a store named ``"None"``.
    """
    dtype = pd.api.types.pandas_dtype("str")
    return dtype if isinstance(dtype, pd.StringDtype) else object


def labels(names: Sequence[str] | np.ndarray, codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """A string array with ``names[code]`` per element; negative codes give missing values."""
    codes = np.asarray(codes, dtype=np.int64)
    missing = codes < 0
    dtype = string_dtype()
    if dtype is object:
        values = np.asarray(list(names), dtype=object)[np.where(missing, 0, codes)]
        values[missing] = None
        return pd.array(values, dtype=object)
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - pyarrow ships with the pandas extras used here
        values = np.asarray(list(names), dtype=object)[np.where(missing, 0, codes)]
        values[missing] = None
        return pd.array(values, dtype=dtype)
    taken = pa.array(list(names), type=pa.large_string()).take(pa.array(codes, mask=missing))
    return pd.array(taken, dtype=dtype)
