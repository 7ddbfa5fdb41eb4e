"""pullcast: retail demand sensing from pull signals and sales history."""

from __future__ import annotations

from pullcast import errors, kernels
from pullcast.columns import Columns
from pullcast.panel import Panel

__version__ = "0.1.0"

__all__ = [
    "Columns",
    "Panel",
    "__version__",
    "errors",
    "kernels",
]
