"""pullcast: retail demand sensing from pull signals and sales history."""

from __future__ import annotations

from pullcast import errors, kernels
from pullcast.backtest import backtest
from pullcast.columns import Columns
from pullcast.features import FeatureSpec
from pullcast.forecast import Forecaster
from pullcast.panel import Panel

__version__ = "0.1.0"

__all__ = [
    "Columns",
    "FeatureSpec",
    "Forecaster",
    "Panel",
    "__version__",
    "backtest",
    "errors",
    "kernels",
]
