"""Synthetic datasets: :func:`make_retail`, the embedded default dataset for demos, tests and docs."""

from __future__ import annotations

from pullcast.datasets._events import hourly_profile
from pullcast.datasets._retail import RetailTruth, make_retail

__all__ = ["RetailTruth", "hourly_profile", "make_retail"]
