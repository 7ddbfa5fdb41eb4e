"""Declarative features: :class:`FeatureSpec`, the history arrays they read, and design matrices."""

from __future__ import annotations

from pullcast.features.design import Design, StaticBlock, sample_rows
from pullcast.features.history import History, censor_mask
from pullcast.features.spec import SIGNAL_TRANSFORMS, FeatureSpec

__all__ = [
    "SIGNAL_TRANSFORMS",
    "Design",
    "FeatureSpec",
    "History",
    "StaticBlock",
    "censor_mask",
    "sample_rows",
]
