"""The Forecaster facade and its predictive distribution."""

from __future__ import annotations

from pullcast.forecast.forecaster import Forecaster

__all__ = ["Forecaster"]
