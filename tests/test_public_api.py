"""The public surface is pinned: adding or removing a name is a deliberate change to this list."""

from __future__ import annotations

import subprocess
import sys

import pullcast

PINNED = [
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


def test_all_is_pinned_and_sorted() -> None:
    assert pullcast.__all__ == PINNED
    assert pullcast.__all__ == sorted(pullcast.__all__)
    for name in pullcast.__all__:
        assert hasattr(pullcast, name), name


def test_errors_subclass_builtins() -> None:
    e = pullcast.errors
    assert issubclass(e.DataError, ValueError) and issubclass(e.DataError, e.PullcastError)
    assert issubclass(e.NotFittedError, AttributeError) and issubclass(e.NotFittedError, ValueError)


def test_import_does_not_load_heavy_optional_dependencies() -> None:
    code = (
        "import sys, pullcast; heavy = [m for m in ('lightgbm', 'statsmodels', 'fastapi', 'duckdb', 'dask',"
        " 'matplotlib') if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
