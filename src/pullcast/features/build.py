"""Feature blocks for direct multi-horizon rows ``(origin p, horizon h)``.

Three kinds of features, all known at the origin:

- *rolling* features are computed by the kernels at every origin (training) or, through the kernels'
  ``update`` forms, only at each series' last period (prediction);
- *gathered* features read single past values relative to the origin (lags, the same weekday as the
  target date in past seasons, a signal at ``target - lead`` when that day is already known);
- *target* features describe the target date (horizon, calendar parts and events, known-ahead
  covariates such as price and promotion).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from pullcast import kernels
from pullcast.features.history import History
from pullcast.features.spec import LEAD_MEAN, FeatureSpec

__all__ = ["baseline_name", "gathered_features", "rolling_features", "target_features"]

_RATIO_WINDOW = 28
_SIGNAL_MEAN = 7
_MOMENTUM = (7, 28)
_ZSCORE = 28
_PRICE_WINDOW = 28
_AGE_CAP = 182  # a series' age counts up to half a year: launch behaviour, not a time index
_BASELINE = 28  # days of a channel's own trailing mean that its scale-free forms divide by


def baseline_name(channel: str) -> str:
    """The rolling column holding a channel's trailing mean (the base of its log ratios)."""
    return f"sig_{channel}_mean_{_BASELINE}"


def _kernel(name: str, last: bool) -> Callable[..., np.ndarray]:
    return getattr(kernels, f"{name}_update" if last else name)  # type: ignore[no-any-return]


def rolling_features(hist: History, spec: FeatureSpec, *, last: bool = False) -> dict[str, np.ndarray]:
    """Kernel-computed origin features.

    Parameters
    ----------
    hist : History
    spec : FeatureSpec
    last : bool, default False
        False: one value per flat position (every possible origin, for training). True: one value per
        series, at its last period, from the kernels' O(window) ``update`` forms (for prediction).
    """
    y, ip = hist.y, hist.indptr
    out: dict[str, np.ndarray] = {}
    mean = _kernel("rolling_mean", last)
    for w in spec.windows:
        out[f"y_mean_{w}"] = _f32(mean(y, ip, w, 1))
    std = _kernel("rolling_std", last)
    for w in spec.std_windows:
        out[f"y_std_{w}"] = _f32(std(y, ip, w, 2))
    ewm = _kernel("ewm_mean", last)
    for a in spec.ewm_alphas:
        out[f"y_ewm_{a:g}"] = _f32(ewm(y, ip, float(a)))
    if spec.zero_window:
        zero = np.where(np.isnan(y), np.nan, (y == 0).astype(np.float64))
        out[f"y_zero_share_{spec.zero_window}"] = _f32(mean(zero, ip, int(spec.zero_window), 1))
        del zero
    for name, values in hist.covariates.items():
        if name == "price":
            out["price_mean_28"] = _f32(mean(values, ip, _PRICE_WINDOW, 1))
    tr = set(spec.signal_transforms)
    for channel, s in hist.signals.items():
        pre = f"sig_{channel}"
        if "level" in tr:
            out[f"{pre}_mean_{_SIGNAL_MEAN}"] = _f32(mean(s, ip, _SIGNAL_MEAN, 1))
        if tr & {"level", "lead"}:
            out[baseline_name(channel)] = _f32(mean(s, ip, _BASELINE, 1))
        if "decayed" in tr:
            decayed = _kernel("decayed_sum", last)
            for hl in spec.decay_half_lives:
                out[f"{pre}_decay_{hl:g}"] = _f32(decayed(s, ip, float(hl)))
        if "momentum" in tr:
            out[f"{pre}_momentum"] = _f32(_kernel("momentum", last)(s, ip, *_MOMENTUM))
        if "zscore" in tr:
            out[f"{pre}_zscore"] = _f32(_kernel("rolling_zscore", last)(s, ip, _ZSCORE))
        if "ratio" in tr:
            out[f"{pre}_per_unit"] = _f32(_kernel("ratio_to_baseline", last)(s, hist.sold, ip, _RATIO_WINDOW))
    return out


def _f32(values: np.ndarray) -> np.ndarray:
    """float32 at once, so a panel-sized float64 result never outlives its own feature."""
    return np.asarray(values, dtype=np.float32)


def _back(values: np.ndarray, p: np.ndarray, k: np.ndarray | int, first: np.ndarray) -> np.ndarray:
    """``values[p - k]`` where that stays inside the series (``>= first``), else NaN."""
    q = p - k
    out = values[np.maximum(q, 0)].astype(np.float64)
    out[q < first] = np.nan
    return out


def _trailing_mean(values: np.ndarray, q: np.ndarray, n: int, first: np.ndarray, step: int = 1) -> np.ndarray:
    """Mean of the known values among ``values[q - k * step]``, k = 0..n-1, inside each row's series
    (NaN when none is known)."""
    total = np.zeros(q.size)
    count = np.zeros(q.size)
    for k in range(n):
        v = _back(values, q, k * step, first)
        ok = ~np.isnan(v)
        total[ok] += v[ok]
        count += ok
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)


def _year_ago(
    y: np.ndarray, p: np.ndarray, h: np.ndarray, year: int, width: int, first: np.ndarray
) -> dict[str, np.ndarray]:
    """Sales one ``year`` before, as means over ``width`` periods: around the target date, up to the
    origin, and their log ratio.

    The window around the target ends at ``target - year + width // 2``, or at the origin when that is
    later (horizons within ``width // 2`` of a year): never after the origin.
    """
    end = np.minimum(p + h - year + width // 2, p)
    at_target = _trailing_mean(y, end, width, first)
    at_origin = _trailing_mean(y, p - year, width, first)
    with np.errstate(invalid="ignore"):
        change = np.log1p(at_target) - np.log1p(at_origin)
    return {"y_year_ago": at_target, "y_year_ago_base": at_origin, "y_year_change": change}


def gathered_features(
    hist: History,
    spec: FeatureSpec,
    p: np.ndarray,
    h: np.ndarray,
    leads: Mapping[str, int],
    baselines: Mapping[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Single past values relative to origin ``p`` for horizon ``h`` (both int64 arrays of rows).

    ``baselines`` holds, per channel and row, the channel's trailing mean at the origin: with it the
    signal features gain scale-free log ratios (``log1p(value) - log1p(baseline)``), which one global
    model can share across SKUs of very different volume.
    """
    y = hist.y
    first = hist.indptr[hist.series_of(p)]
    out: dict[str, np.ndarray] = {}
    for k in spec.lags:
        out[f"y_lag_{k}"] = _back(y, p, k - 1, first)
    season = spec.season
    r = p + h - season * -(-h // season)  # the latest past day on the target's weekday (<= p)
    out["y_season_last"] = _back(y, r, 0, first)
    out[f"y_season_mean_{spec.season_windows}"] = _trailing_mean(y, r, spec.season_windows, first, season)
    if spec.year:
        out.update(_year_ago(y, p, h, int(spec.year), spec.year_window, first))
    tr = set(spec.signal_transforms)
    for channel, s in hist.signals.items():
        base = None if baselines is None else np.log1p(np.maximum(baselines[channel], 0.0))
        at_origin = _back(s, p, 0, first)
        if "level" in tr:
            out[f"sig_{channel}_level"] = at_origin
            if base is not None and "lead" not in tr:  # else the smoothed lead form below covers it
                out[f"sig_{channel}_level_lr"] = np.log1p(np.maximum(at_origin, 0.0)) - base
        lead = int(leads.get(channel, 0))
        back = np.maximum(lead - h, 0)  # to target - lead when the origin already knows it, else the origin
        if "lead" in tr and lead > 0:
            out[f"sig_{channel}_lead"] = _back(s, p, back, first)
        if "lead" in tr and base is not None:
            # scale-free and smoothed: the mean of the LEAD_MEAN days ending at target - lead (or at the
            # origin) over the channel's own trailing mean; small daily counts are mostly noise
            smooth = _trailing_mean(s, p - back, LEAD_MEAN, first)
            out[f"sig_{channel}_lead_mean_lr"] = np.log1p(np.maximum(smooth, 0.0)) - base
    out["age"] = hist.age(p, _AGE_CAP).astype(np.float64)
    return {k: v.astype(np.float32) for k, v in out.items()}


def target_features(
    dates: pd.DatetimeIndex,
    h: np.ndarray,
    spec: FeatureSpec,
    covariates: Mapping[str, np.ndarray],
    price_mean: np.ndarray | None = None,
) -> dict[str, np.ndarray | pd.Categorical]:
    """Features of the target date: horizon, date parts, the user calendar, known-ahead covariates.

    Parameters
    ----------
    dates : pandas.DatetimeIndex
        Target date of every row.
    h : ndarray of int64
        Horizon of every row.
    spec : FeatureSpec
    covariates : mapping of str to ndarray
        Known-ahead covariate values at the target dates.
    price_mean : ndarray or None, default None
        Trailing 28-day mean price at the origin, for the relative price feature.
    """
    out: dict[str, np.ndarray | pd.Categorical] = {"horizon": h.astype(np.float32)}
    for part in spec.date_parts:
        out[f"date_{part}"] = np.asarray(getattr(dates, part), dtype=np.float32)
    if spec.calendar is not None:
        cal = spec.calendar.assign(date=pd.to_datetime(spec.calendar["date"])).set_index("date")
        rows = cal.reindex(dates)
        for col in cal.columns:
            src = cal[col]
            if pd.api.types.is_numeric_dtype(src) or pd.api.types.is_bool_dtype(src):
                out[f"cal_{col}"] = rows[col].to_numpy(dtype=np.float32, na_value=np.nan)
            else:
                cats = sorted(str(v) for v in src.dropna().unique())
                codes = pd.Index(cats).get_indexer(rows[col].astype(str))
                codes[rows[col].isna().to_numpy()] = -1
                out[f"cal_{col}"] = pd.Categorical.from_codes(codes, categories=cats)
    for name, values in covariates.items():
        out[name] = np.asarray(values, dtype=np.float32)
        if name == "price" and price_mean is not None:
            with np.errstate(invalid="ignore", divide="ignore"):
                out["price_rel_28"] = (np.asarray(values) / price_mean).astype(np.float32)
    return out
