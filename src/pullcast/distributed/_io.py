"""Dask inputs: Parquet paths or Dask DataFrames, canonical names, co-partitioning by SKU."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pullcast.columns import Columns
from pullcast.errors import ColumnError, ConfigError, DataError

__all__ = ["as_dask", "by_sku", "part_of_sku", "partition_futures", "pinned", "placement"]

PART = "__part"


def as_dask(data: Any, columns: Columns, what: str) -> Any:
    """A Dask DataFrame with pullcast's default column names from a Dask/pandas frame or a Parquet path.

    Parameters
    ----------
    data : dask.dataframe.DataFrame, pandas.DataFrame, str or path-like
        A path or glob of Parquet files is read with :func:`dask.dataframe.read_parquet`; a pandas frame
        is split into partitions with :func:`dask.dataframe.from_pandas` (for tests and small data).
    columns : Columns
    what : str
        Name of the input for error messages.
    """
    import dask.dataframe as dd

    if isinstance(data, dd.DataFrame):
        frame = data
    elif isinstance(data, pd.DataFrame):
        frame = dd.from_pandas(data, npartitions=1)
    elif isinstance(data, str) or hasattr(data, "__fspath__"):
        frame = dd.read_parquet(str(data))
    else:
        raise DataError(
            f"{what} must be a Dask DataFrame, a pandas DataFrame or a Parquet path/glob, "
            f"got {type(data).__name__}"
        )
    mapping = {k: v for k, v in columns.canonical().items() if k in frame.columns and k != v}
    if mapping:
        frame = frame.rename(columns=mapping)
    if "sku" not in frame.columns:
        raise ColumnError(f"{what} has no sku column {columns.sku!r}; it has {list(frame.columns)}")
    return frame


def part_of_sku(sku: pd.Series, n: int) -> np.ndarray:
    """Partition number of every SKU: a stable hash of its text, modulo ``n`` (same in every process)."""
    hashed = pd.util.hash_pandas_object(sku.astype(str), index=False).to_numpy()
    return (hashed % np.uint64(n)).astype(np.int64)


def _with_part(frame: pd.DataFrame, n: int) -> pd.DataFrame:
    return frame.assign(**{PART: part_of_sku(frame["sku"], n)})


def by_sku(frame: Any, n: int) -> Any:
    """Repartition so partition k holds exactly the SKUs with ``part_of_sku == k`` (all their stores).

    Two frames repartitioned with the same ``n`` are co-partitioned: partition k of each holds the same
    SKUs, so sales and SKU-level signals meet locally.
    """
    meta = frame._meta.assign(**{PART: np.zeros(0, dtype=np.int64)})
    tagged = frame.map_partitions(_with_part, n, meta=meta)
    divisions = [*range(n), n - 1] if n > 1 else [0, 0]
    return tagged.set_index(PART, divisions=divisions, sort=True)


def placement(client: Any, n: int) -> list[str]:
    """The worker of each of ``n`` partitions: partition ``k`` on the ``k % W``-th of the sorted workers.

    A fixed placement makes distributed fits repeatable: LightGBM's data-parallel training finds bin
    boundaries from each worker's own rows, so the same partitions on other workers give another model.
    """
    workers = sorted(client.scheduler_info()["workers"])
    if not workers:  # a client's worker list can lag the cluster's start: ask the scheduler directly
        workers = sorted(client.run_on_scheduler(_worker_addresses))
    if not workers:
        raise ConfigError("the Dask client has no workers")
    return [workers[k % len(workers)] for k in range(n)]


def _worker_addresses(dask_scheduler: Any) -> list[str]:
    return list(dask_scheduler.workers)


def pinned(worker: str) -> dict[str, Any]:
    """``client.submit``/``compute`` options running a task on ``worker`` (another one if it is gone)."""
    return {"workers": [worker], "allow_other_workers": True}


def partition_futures(client: Any, frame: Any) -> list[Any]:
    """One future per partition of a Dask DataFrame, computed and kept on its :func:`placement` worker."""
    parts = frame.to_delayed()
    where = placement(client, len(parts))
    return [client.compute(d, **pinned(w)) for d, w in zip(parts, where, strict=True)]
