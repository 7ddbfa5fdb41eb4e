"""The signal gate: keep a pull-signal channel only on evidence that it improves held-out forecasts.

A channel's value is measured against the no-signal model on several rolling origins. For every
cluster of series (by default one SKU: a SKU-level channel moves all of a SKU's stores together, so
their errors are not independent) the held-out absolute errors are summed over all origins, with and
without the channel. The forecast value added is the ratio estimate

    FVA = sum_g (E0_g - Ec_g) / sum_g E0_g

with ``E0_g``, ``Ec_g`` the summed errors of cluster ``g`` without and with the channel. Its standard
error is the cluster-robust (linearised ratio) one, the test is one-sided (H1: FVA > 0) with a
Student t on ``G - 1`` degrees of freedom: a Diebold-Mariano-style paired test whose pairs are
clusters. The p-values of the channels are Holm-corrected. A channel is kept when its corrected p-value
is below ``alpha`` (significant) and its FVA reaches ``gate`` (material); the kept channels together
must pass the same test, or none is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from pullcast.errors import ConfigError

__all__ = ["Evidence", "empty_report", "gate_channels", "gate_folds", "holm", "paired_evidence"]

REPORT_COLUMNS = [
    "channel",
    "lead_days",
    "wape_without",
    "wape_with",
    "fva",
    "fva_low",
    "fva_high",
    "p_value",
    "p_holm",
    "kept",
    "reason",
]


@dataclass(frozen=True)
class Evidence:
    """The paired comparison of two forecasts over clusters of series (see the module docstring)."""

    fva: float
    se: float
    p_value: float
    clusters: int

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        """Two-sided confidence interval of the FVA (nan when there are fewer than 2 clusters)."""
        if self.clusters < 2 or not np.isfinite(self.se):
            return float("nan"), float("nan")
        q = float(stats.t.ppf(0.5 + level / 2, self.clusters - 1))
        return self.fva - q * self.se, self.fva + q * self.se


def paired_evidence(without: np.ndarray, with_: np.ndarray) -> Evidence:
    """Evidence that ``with_`` beats ``without``, from per-cluster summed absolute errors.

    Parameters
    ----------
    without, with_ : ndarray of float64, shape (G,)
        Held-out absolute errors summed per cluster, without and with the channel, over the same rows.
    """
    e0 = np.asarray(without, dtype=np.float64)
    e1 = np.asarray(with_, dtype=np.float64)
    if e0.shape != e1.shape or e0.ndim != 1:
        raise ConfigError(
            f"per-cluster errors must be two 1-d arrays of one length, got {e0.shape}, {e1.shape}"
        )
    total = float(e0.sum())
    g = int(e0.size)
    if total <= 0 or g == 0:
        return Evidence(0.0, float("nan"), 1.0, g)
    d = e0 - e1
    fva = float(d.sum() / total)
    if g < 2:
        return Evidence(fva, float("nan"), 1.0, g)
    u = d - fva * e0  # linearised ratio: the FVA's influence of each cluster
    se = float(np.sqrt(g / (g - 1) * np.sum(u * u)) / total)
    if se == 0.0:
        return Evidence(fva, 0.0, 0.0 if fva > 0 else 1.0, g)
    p = float(stats.t.sf(fva / se, g - 1))
    return Evidence(fva, se, p, g)


def holm(p_values: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjustment of a family of p-values (same order as given; statsmodels')."""
    from statsmodels.stats.multitest import multipletests

    p = np.asarray(p_values, dtype=np.float64)
    if p.size == 0:
        return p
    return np.asarray(multipletests(p, method="holm")[1], dtype=np.float64)


def gate_folds(last: int, horizon: int, lo: int, folds: int, width: int) -> list[tuple[int, int]]:
    """The rolling origins of the gate: ``(cut, end)`` grid positions, the newest first.

    In fold ``(cut, end)`` models train on targets up to ``cut`` and are scored on origins
    ``cut .. end - 1`` (``width`` of them) with targets up to ``end``. Folds step back by ``horizon``
    periods; a fold is left out when fewer than ``2 * horizon`` periods would remain to train on.
    """
    out = []
    for k in range(folds):
        end = last - k * horizon
        cut = end - horizon - (width - 1)
        if cut - lo <= horizon:
            break
        out.append((cut, end))
    return out


def gate_channels(
    channels: list[str],
    all_cols: list[str],
    errors: Callable[[list[list[str]]], list[np.ndarray]],
    *,
    gate: float,
    leads: dict[str, int],
    total_y: float,
    alpha: float = 0.05,
    silent: Sequence[str] = (),
) -> tuple[list[str], pd.DataFrame]:
    """Which channels to keep, and the report saying why.

    Parameters
    ----------
    channels : list of str
    all_cols : list of str
        Every feature column; a channel's columns start with ``sig_<channel>_``.
    errors : callable
        ``errors(col_sets)`` trains one model on each list of columns in ``col_sets`` and returns, in the
        same order, the held-out absolute errors summed per cluster of series (one fixed set of rows and
        clusters for every call). The fits are independent, so it may run them concurrently.
    gate : float
        The smallest FVA that counts as material.
    leads : dict of str to int
        Lead (days) per channel, for the report.
    total_y : float
        Sum of the held-out actuals (turns summed errors into WAPE for the report).
    alpha : float, default 0.05
        Significance level after Holm's correction over the channels.
    silent : sequence of str, default ()
        Channels whose aligned values carry nothing (missing or one constant on every series): dropped
        without a fit, saying so.
    """
    base_cols = [c for c in all_cols if not c.startswith("sig_")]

    def with_channels(names: list[str]) -> list[str]:
        return base_cols + [c for c in all_cols if c.startswith(tuple(f"sig_{k}_" for k in names))]

    def wape(e: np.ndarray) -> float:
        return float(e.sum() / max(total_y, 1e-12))

    quiet = [c for c in channels if c in set(silent)]
    channels = [c for c in channels if c not in set(silent)]
    e0, *each = errors([base_cols] + [with_channels([c]) for c in channels])
    found = {c: paired_evidence(e0, e) for c, e in zip(channels, each, strict=True)}
    p_holm = holm([found[c].p_value for c in channels]) if channels else np.array([])
    rows, kept = [], []
    for channel, ph in zip(channels, p_holm, strict=True):
        ev = found[channel]
        low, high = ev.interval()
        keep = bool(ph < alpha and ev.fva >= gate)
        if keep:
            kept.append(channel)
            reason = "helps out of sample"
        elif ev.fva < gate:
            reason = f"FVA {ev.fva:.2%} below gate {gate:.2%}"
        else:
            reason = f"not significant: Holm p {ph:.3f} >= {alpha:g}"
        rows.append(
            {
                "channel": channel,
                "lead_days": int(leads.get(channel, 0)),
                "wape_without": wape(e0),
                "wape_with": wape(e0) * (1.0 - ev.fva),
                "fva": ev.fva,
                "fva_low": low,
                "fva_high": high,
                "p_value": ev.p_value,
                "p_holm": float(ph),
                "kept": keep,
                "reason": reason,
            }
        )
    for channel in quiet:
        rows.append(
            {
                "channel": channel,
                "lead_days": int(leads.get(channel, 0)),
                "wape_without": wape(e0),
                "kept": False,
                "reason": "no values reached any series (missing or constant everywhere)",
            }
        )
    report = pd.DataFrame(rows, columns=REPORT_COLUMNS)
    if len(kept) > 1:
        joint = paired_evidence(e0, errors([with_channels(kept)])[0])
        if not (joint.p_value < alpha and joint.fva >= gate):
            kept = []
            report["kept"] = False
            report["reason"] = f"together FVA {joint.fva:.2%}, p {joint.p_value:.3f}: not kept"
    return kept, report


def empty_report() -> pd.DataFrame:
    """The gate report when there is nothing to gate."""
    return pd.DataFrame(columns=REPORT_COLUMNS)
