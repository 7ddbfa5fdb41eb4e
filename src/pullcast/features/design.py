"""Assembling feature blocks into the design matrix of (origin, horizon) rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pullcast.errors import ConfigError
from pullcast.features.build import baseline_name, gathered_features, rolling_features, target_features
from pullcast.features.history import History
from pullcast.features.spec import FeatureSpec

__all__ = ["Design", "StaticBlock", "sample_rows"]

_CHUNK = 1 << 22  # candidate origins counted at a time by sample_rows


@dataclass
class StaticBlock:
    """Per-series categorical attributes with categories fixed at fit time."""

    frame: pd.DataFrame
    categories: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def fit(cls, frame: pd.DataFrame, skip: tuple[str, ...] = ()) -> StaticBlock:
        """Fix the categories of every column of ``frame`` except ``skip``."""
        cats = {c: sorted(frame[c].astype(str).unique().tolist()) for c in frame.columns if c not in skip}
        return cls(frame.reset_index(drop=True), cats)

    def for_frame(self, frame: pd.DataFrame) -> StaticBlock:
        """The same categories over another set of series (unseen values become missing)."""
        return StaticBlock(frame.reset_index(drop=True), self.categories)

    def features(self, series: np.ndarray) -> dict[str, pd.Categorical]:
        out = {}
        for col, cats in self.categories.items():
            codes = pd.Index(cats).get_indexer(self.frame[col].astype(str))  # -1 (missing) if unseen
            out[f"static_{col}"] = pd.Categorical.from_codes(codes[series], categories=cats)
        return out


@dataclass
class Design:
    """What a fitted forecaster needs to build rows again: the spec, covariates, leads, statics."""

    spec: FeatureSpec
    covariates: tuple[str, ...]
    leads: dict[str, int]
    static: StaticBlock
    drop: tuple[str, ...] = ()

    def matrix(
        self,
        hist: History,
        p: np.ndarray,
        h: np.ndarray,
        *,
        rolling: Mapping[str, np.ndarray],
        rolling_at: np.ndarray,
        target_dates: pd.DatetimeIndex,
        target_cov: Mapping[str, np.ndarray],
    ) -> pd.DataFrame:
        """Rows (p, h): static, target-date, gathered and rolling features, in a fixed order.

        ``rolling`` holds arrays indexed by ``rolling_at`` (flat positions for training, series numbers for
        prediction).
        """
        series = hist.series_of(p)
        cols: dict[str, object] = {}
        cols.update(self.static.features(series))
        price_mean = rolling["price_mean_28"][rolling_at] if "price_mean_28" in rolling else None
        cols.update(target_features(target_dates, h, self.spec, target_cov, price_mean))
        names = {c: baseline_name(c) for c in hist.signals}
        bases = {c: rolling[n][rolling_at] for c, n in names.items() if n in rolling}
        cols.update(gathered_features(hist, self.spec, p, h, self.leads, bases if bases else None))
        for name in sorted(rolling):
            cols[name] = rolling[name][rolling_at]
        frame = pd.DataFrame(cols, copy=False)
        if self.drop:
            frame = frame.drop(columns=[c for c in frame.columns if c.startswith(self.drop)])
        return frame

    def training_matrix(
        self, hist: History, p: np.ndarray, h: np.ndarray, rolling: Mapping[str, np.ndarray]
    ) -> pd.DataFrame:
        """Design rows for origins ``p`` inside the history (targets ``p + h`` are observed)."""
        q = p + h
        dates = hist.grid[hist.grid_pos(q)]
        cov = {c: hist.covariates[c][q] for c in self.covariates}
        return self.matrix(hist, p, h, rolling=rolling, rolling_at=p, target_dates=dates, target_cov=cov)

    def forecast_matrix(
        self,
        hist: History,
        horizon: int,
        target_dates: pd.DatetimeIndex,
        target_cov: Mapping[str, np.ndarray],
    ) -> pd.DataFrame:
        """Design rows of the forecast from each series' last position, series-major, h = 1..horizon.

        Computes only the last window of every rolling feature, so ``hist`` may be the trimmed state;
        the rows equal the training rows of the same origins (the train-vs-serve property).
        """
        n = hist.n_series
        series = np.repeat(np.arange(n), horizon)
        p = hist.last_positions()[series]
        h = np.tile(np.arange(1, horizon + 1), n)
        rolling = self.rolling(hist, last=True)
        return self.matrix(
            hist, p, h, rolling=rolling, rolling_at=series, target_dates=target_dates, target_cov=target_cov
        )

    def rolling(self, hist: History, *, last: bool = False) -> dict[str, np.ndarray]:
        return rolling_features(hist, self.spec, last=last)


def sample_rows(
    hist: History,
    horizon: int,
    *,
    origin_range: tuple[int, int],
    max_target: int,
    max_rows: int | None,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """(origin, horizon) pairs with an observed target, sampled evenly over horizons down to ``max_rows``.

    When there are more candidate rows than ``max_rows``, each is kept independently with probability
    ``max_rows / candidates`` (so about ``max_rows`` rows remain, the same share at every horizon).
    Rows come horizon by horizon, origins in increasing order within each.

    Parameters
    ----------
    hist : History
    horizon : int
    origin_range : (int, int)
        Inclusive grid positions allowed for the origin.
    max_target : int
        Largest grid position a target may have.
    max_rows : int or None
        The number of rows to sample down to (None: all).
    rng : numpy.random.Generator
    """
    if horizon < 1:
        raise ConfigError(f"horizon must be >= 1, got {horizon}")
    idx, room = _candidates(hist, origin_range, max_target)
    observed = ~np.isnan(hist.y)
    # rows with an observed target: per candidate, the observed days among the next min(room, horizon)
    seen = np.zeros(observed.size + 1, dtype=np.int64 if observed.size >= 2**31 else np.int32)
    np.cumsum(observed, out=seen[1:])
    total = 0
    for a in range(0, idx.size, _CHUNK):  # in chunks: no candidate-sized temporaries
        i, reach = idx[a : a + _CHUNK], np.clip(room[a : a + _CHUNK], 0, horizon)
        total += int(seen[i + reach + 1].sum(dtype=np.int64) - seen[i + 1].sum(dtype=np.int64))
    del seen
    frac = 1.0 if max_rows is None or total <= max_rows else max_rows / total
    chosen_p = []
    for h in range(1, horizon + 1):
        if frac < 1.0:  # each candidate kept with probability frac: a binomial count, drawn uniformly
            pick = np.sort(rng.choice(idx.size, size=rng.binomial(idx.size, frac), replace=False))
            cand, ok = idx[pick], room[pick] >= h
        else:
            cand, ok = idx, room >= h
        ok[ok] = observed[cand[ok] + h]
        chosen_p.append(cand[ok])
    p = np.concatenate(chosen_p) if chosen_p else np.empty(0, dtype=np.int64)
    h_arr = np.repeat(np.arange(1, horizon + 1), [c.size for c in chosen_p])
    return p.astype(np.int64), h_arr.astype(np.int64)


def _candidates(
    hist: History, origin_range: tuple[int, int], max_target: int
) -> tuple[np.ndarray, np.ndarray]:
    """Flat positions whose grid position lies in ``origin_range``, and the largest horizon each allows
    (inside its series and at most ``max_target``); built series by series, never over all positions."""
    lo, hi = origin_range
    start, first = hist.start_pos, hist.indptr[:-1]
    g0 = np.maximum(lo, start)
    n = np.maximum(np.minimum(hi, start + hist.lengths - 1) - g0 + 1, 0)
    begin = first + (g0 - start)  # flat position of each series' first candidate
    offsets = np.zeros(n.size + 1, dtype=np.int64)
    np.cumsum(n, out=offsets[1:])
    idx = np.arange(int(offsets[-1]), dtype=np.int64)
    idx += np.repeat(begin - offsets[:-1], n)
    room = np.repeat(np.minimum(hist.indptr[1:] - 1, max_target - start + first), n)
    room -= idx
    return idx, room.astype(np.int32)  # at most a series' length
