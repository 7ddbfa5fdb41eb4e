"""Pull signals: ingestion of signal events, as-of alignment to the panel grid, lead discovery.

Layer 1: imports only pullcast.panel, .columns, .errors, .base and .kernels.
"""

from __future__ import annotations

from pullcast.signals.align import AlignedState, align_store
from pullcast.signals.leads import LeadStatistics, lead_statistics, leads_from_statistics, signal_leads
from pullcast.signals.spec import ChannelSpec
from pullcast.signals.store import IngestReport, SignalStore

__all__ = [
    "AlignedState",
    "ChannelSpec",
    "IngestReport",
    "LeadStatistics",
    "SignalStore",
    "align_store",
    "lead_statistics",
    "leads_from_statistics",
    "signal_leads",
]
