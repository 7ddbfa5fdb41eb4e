"""pullcast: retail demand sensing from pull signals and sales history.

The public surface is this module's ``__all__`` (pinned by a test); everything else is reachable
through the subpackages (``pullcast.kernels``, ``pullcast.signals``, ``pullcast.models``, ...).
"""

from __future__ import annotations

from pullcast import datasets, distributed, errors, kernels, metrics, models, plot, replenish, signals
from pullcast._version import __version__
from pullcast.backtest import backtest
from pullcast.columns import Columns
from pullcast.datasets import make_retail
from pullcast.features import FeatureSpec
from pullcast.forecast import Forecaster
from pullcast.metrics import evaluate, fva
from pullcast.models.lgbm import GlobalLGBM
from pullcast.panel import Panel
from pullcast.replenish import (
    Newsvendor,
    OrderUpTo,
    ReplenishParams,
    SamplePaths,
    SSPolicy,
    costs_from_prices,
    newsvendor,
    optimal_sS,
    order_up_to,
    propose_orders,
    simulate,
)
from pullcast.signals import ChannelSpec, IngestReport, SignalStore, signal_leads

__all__ = [
    "ChannelSpec",
    "Columns",
    "FeatureSpec",
    "Forecaster",
    "GlobalLGBM",
    "IngestReport",
    "Newsvendor",
    "OrderUpTo",
    "Panel",
    "ReplenishParams",
    "SSPolicy",
    "SamplePaths",
    "SignalStore",
    "__version__",
    "backtest",
    "costs_from_prices",
    "datasets",
    "distributed",
    "errors",
    "evaluate",
    "fva",
    "kernels",
    "make_retail",
    "metrics",
    "models",
    "newsvendor",
    "optimal_sS",
    "order_up_to",
    "plot",
    "propose_orders",
    "replenish",
    "signal_leads",
    "signals",
    "simulate",
]
