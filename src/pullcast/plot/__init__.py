"""Plots (extra ``plot``: matplotlib): forecast fan charts, backtest errors, inventory trajectories.

matplotlib is imported only inside the functions, so ``import pullcast.plot`` is cheap. Every function
returns a :class:`matplotlib.figure.Figure` built without pyplot (no global figure state): save it with
``fig.savefig(path)`` or show it as a notebook cell's last expression.
"""

from __future__ import annotations

from pullcast.plot._backtest import plot_backtest
from pullcast.plot._forecast import plot_forecast
from pullcast.plot._inventory import inventory_trace, plot_inventory

__all__ = ["inventory_trace", "plot_backtest", "plot_forecast", "plot_inventory"]
