"""The signal gate: keep a pull-signal channel only on evidence that it improves held-out forecasts.

On several rolling origins (folds) two models are trained: one without any signal (the *base*) and one
with every channel that carries values (the *joint* model). A channel's value is what the joint model
loses when that channel's columns are scrambled on the held-out rows (their rows permuted together, so
the channel keeps its distribution but no longer says anything about the row): permutation importance
as a forecast value added. The cost is two fits per fold whatever the number of channels, and both
sides of each comparison come from one model, so training noise does not blur it.

For every cluster of series (by default one SKU: a SKU-level channel moves all of a SKU's stores
together, so their errors are not independent) the held-out absolute errors are summed over all folds,
with the channel intact and scrambled. The forecast value added is the ratio estimate

    FVA = sum_g (E0_g - Ec_g) / sum_g E0_g

with ``E0_g``, ``Ec_g`` the summed errors of cluster ``g`` without (scrambled) and with the channel.
Its standard error is the cluster-robust (linearised ratio) one, the test is one-sided (H1: FVA > 0)
with a Student t on ``G - 1`` degrees of freedom: a Diebold-Mariano-style paired test whose pairs are
clusters. The p-values of the channels are Holm-corrected. A channel is a candidate when its corrected
p-value is below ``alpha`` and its FVA is positive (significant). Channels that carry the same pull share
the credit inside the joint model, so materiality is judged on the set: a model trained with the
candidates only must beat the base model significantly and by at least ``gate``, or none is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from pullcast.errors import ConfigError

__all__ = [
    "Evidence",
    "Scenario",
    "empty_report",
    "gate_channels",
    "gate_folds",
    "group_scenarios",
    "holm",
    "paired_evidence",
    "scrambled_errors",
]

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


Scenario = tuple[tuple[str, ...], tuple[str, ...]]
"""A gate fit to score: the columns a model trains on, and the columns scrambled on its held-out rows."""


def gate_channels(
    channels: list[str],
    all_cols: list[str],
    errors: Callable[[list[Scenario]], list[np.ndarray]],
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
        ``errors(scenarios)`` returns, for each :data:`Scenario` ``(columns, scrambled)`` in order, the
        held-out absolute errors summed per cluster of series (one fixed set of rows and clusters for
        every call) of a model trained on ``columns`` and scored with the ``scrambled`` columns' rows
        permuted together. Scenarios with the same columns share one model, so it trains each distinct
        column set of a call once (:func:`group_scenarios`); the fits are independent.
    gate : float
        The smallest FVA over the base model that counts as material, for the kept channels together.
    leads : dict of str to int
        Lead (days) per channel, for the report.
    total_y : float
        Sum of the held-out actuals (turns summed errors into WAPE for the report).
    alpha : float, default 0.05
        Significance level after Holm's correction over the channels.
    silent : sequence of str, default ()
        Channels whose aligned values carry nothing (missing or one constant on every series): dropped
        without a fit, saying so.

    Returns
    -------
    kept : list of str
    report : pandas.DataFrame
        One row per channel: ``wape_with`` is the joint model's held-out WAPE, ``wape_without`` the same
        model's with the channel scrambled, ``fva`` their relative difference with its 95% interval
        (``fva_low``, ``fva_high``), the one-sided ``p_value`` and its Holm correction ``p_holm``.
    """
    base_cols = tuple(c for c in all_cols if not c.startswith("sig_"))

    def columns_of(names: Sequence[str]) -> tuple[str, ...]:
        return tuple(c for c in all_cols if c.startswith(tuple(f"sig_{k}_" for k in names)))

    def wape(e: np.ndarray) -> float:
        return float(e.sum() / max(total_y, 1e-12))

    quiet = [c for c in channels if c in set(silent)]
    channels = [c for c in channels if c not in set(silent)]
    joint_cols = base_cols + columns_of(channels)
    scenarios: list[Scenario] = [(base_cols, ()), (joint_cols, ())]
    scenarios += [(joint_cols, columns_of([c])) for c in channels]
    e0, e_all, *scrambled = errors(scenarios) if channels else errors(scenarios[:1]) * 2
    without = dict(zip(channels, scrambled, strict=True))
    found = {c: paired_evidence(without[c], e_all) for c in channels}
    p_holm = holm([found[c].p_value for c in channels]) if channels else np.array([])
    rows, kept = [], []
    for channel, ph in zip(channels, p_holm, strict=True):
        ev = found[channel]
        low, high = ev.interval()
        keep = bool(ph < alpha and ev.fva > 0)
        if keep:
            kept.append(channel)
            reason = "helps out of sample"
        elif ev.fva <= 0:
            reason = f"FVA {ev.fva:.2%}: no value"
        else:
            reason = f"not significant: Holm p {ph:.3f} >= {alpha:g}"
        rows.append(
            {
                "channel": channel,
                "lead_days": int(leads.get(channel, 0)),
                "wape_without": wape(without[channel]),
                "wape_with": wape(e_all),
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
    if kept:
        # a refit on the kept channels: scrambling the others in the joint model would also break what
        # it learnt from them together with the kept ones
        e_kept = e_all if kept == channels else errors([(base_cols + columns_of(kept), ())])[0]
        joint = paired_evidence(e0, e_kept)
        if not (joint.p_value < alpha and joint.fva >= gate):
            kept = []
            report["kept"] = False
            report["reason"] = (
                f"kept channels together: FVA {joint.fva:.2%} over no signals, "
                f"p {joint.p_value:.3f}: not kept"
            )
    return kept, report


def group_scenarios(scenarios: Sequence[Scenario]) -> dict[tuple[str, ...], list[tuple[str, ...]]]:
    """The scrambles to score per distinct column set of ``scenarios`` (one model each), in order."""
    by_cols: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for cols, scrambled in scenarios:
        by_cols.setdefault(tuple(cols), []).append(tuple(scrambled))
    return by_cols


def scrambled_errors(
    predict: Callable[[pd.DataFrame], np.ndarray],
    X: pd.DataFrame,
    y: np.ndarray,
    columns: Sequence[str],
    seed: Any,
) -> np.ndarray:
    """Per-row absolute error of ``predict(X)`` against ``y`` with the rows of ``columns`` permuted
    together by one seeded permutation (a plain prediction when ``columns`` is empty)."""
    y = np.asarray(y, dtype=np.float64)
    if not len(columns):
        return np.abs(y - predict(X))
    perm = np.random.default_rng(seed).permutation(len(X))
    shuffled = X.copy()
    for c in columns:
        shuffled[c] = X[c].to_numpy()[perm]
    return np.abs(y - predict(shuffled))


def empty_report() -> pd.DataFrame:
    """The gate report when there is nothing to gate."""
    return pd.DataFrame(columns=REPORT_COLUMNS)
