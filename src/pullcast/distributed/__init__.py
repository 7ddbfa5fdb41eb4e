"""Scale-out on Dask (extra ``dask``): the Forecaster across a cluster, partitioned by SKU.

Nothing heavy is imported here: Dask, ``distributed`` and ``lightgbm.dask`` are imported when a
:class:`DaskForecaster` first reads its inputs or trains.
"""

from pullcast.distributed._ops import backtest, propose_orders
from pullcast.distributed.forecaster import DaskForecaster

__all__ = ["DaskForecaster", "backtest", "propose_orders"]
