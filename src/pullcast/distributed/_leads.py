"""Signal leads from per-partition sums: the same answer as ``discover_leads`` on the whole panel.

Series never span partitions, so each partition computes the lead statistics of its series
(:func:`pullcast.signals.lead_statistics`) and the client adds them up on the global day grid, then
applies the same test (:func:`pullcast.signals.leads_from_statistics`) and the Forecaster's rule
(:func:`pullcast.forecast.training.leads_from_table`).
"""

from __future__ import annotations

from pullcast.forecast.training import leads_from_table
from pullcast.signals import LeadStatistics, leads_from_statistics

__all__ = ["combine_leads"]


def combine_leads(parts: list[tuple[int, dict[str, LeadStatistics]]], n_days: int) -> dict[str, int]:
    """Leads of every channel from ``(grid offset, lead_statistics)`` of each partition."""
    channels = sorted({c for _, sums in parts for c in sums})
    combined = {
        c: LeadStatistics.combine([(offset, sums[c]) for offset, sums in parts if c in sums], n_days)
        for c in channels
    }
    return leads_from_table(leads_from_statistics(combined))
