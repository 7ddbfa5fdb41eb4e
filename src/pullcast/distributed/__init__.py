"""Scale-out on Dask (extra ``dask``): the Forecaster across a cluster, partitioned by SKU.

Import cost: nothing heavy is imported here; Dask, ``distributed`` and ``lightgbm.dask`` are imported
when a :class:`DaskForecaster` first fits or reads its inputs.
"""

from pullcast.distributed.forecaster import DaskForecaster

__all__ = ["DaskForecaster"]
