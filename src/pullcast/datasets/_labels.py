"""Fast string columns from integer codes (pyarrow ``take`` when available)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["labels"]


def labels(names: Sequence[str] | np.ndarray, codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """A pandas ``str`` array with ``names[code]`` per element; negative codes give missing values."""
    codes = np.asarray(codes, dtype=np.int64)
    missing = codes < 0
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - pyarrow ships with the pandas extras used here
        values = np.asarray(list(names), dtype=object)[np.where(missing, 0, codes)]
        values[missing] = None
        return pd.array(values, dtype="str")
    taken = pa.array(list(names), type=pa.large_string()).take(pa.array(codes, mask=missing))
    return pd.array(taken, dtype="str")
