"""Feature specifications as data: :class:`FeatureSpec` says which features a Forecaster builds."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from pullcast.errors import ConfigError

__all__ = ["LEAD_MEAN", "MAX_LEAD", "SIGNAL_TRANSFORMS", "FeatureSpec"]

SIGNAL_TRANSFORMS = ("level", "decayed", "momentum", "zscore", "ratio", "lead")
MAX_LEAD = 28  # the longest lead (days) a channel may be given
LEAD_MEAN = 5  # days averaged by a channel's smoothed lead feature, ending at target - lead


@dataclass
class FeatureSpec:
    """Declarative feature set of a :class:`pullcast.Forecaster`; the defaults work with no arguments.

    All target features use sales known at the forecast origin only (the origin is the last observed
    day; ``lag 1`` is the origin day's own sales). Days with a stockout are treated as unknown demand
    (NaN) in every target feature, never as zero.

    Parameters
    ----------
    lags : tuple of int, default (1, 2, 3, 4, 5, 6, 7, 14, 28)
        Target lags relative to the origin (1 = the origin day).
    windows : tuple of int, default (7, 28, 91)
        Rolling-mean windows ending at the origin.
    std_windows : tuple of int, default (28,)
        Rolling standard-deviation windows.
    ewm_alphas : tuple of float, default (0.1,)
        Smoothing factors of exponentially weighted means.
    zero_window : int or None, default 28
        Window of the share of zero-sales days (intermittency); None for none.
    season : int, default 7
        Season length used by the target-aligned features (the mean of the same weekday as the
        target date over the last ``season_windows`` seasons, and the same weekday's last value).
    season_windows : int, default 4
        Number of past seasons averaged by the target-aligned mean.
    year : int or None, default None
        Periods in a year (364 for daily data keeps the weekday; 52 for weekly), to add three year-ago
        features over windows of ``year // 13`` periods (four weeks): the mean around the target date
        one year earlier, the mean ending at the origin one year earlier, and the log ratio of the two
        (how demand moved over the same stretch last year). A window that would reach past the origin
        (horizons within two weeks of a year) ends at the origin instead. Off by default: they help
        strongly annual demand with more than a year of history, and made the M5 FOODS benchmark worse
        (docs/benchmarks.md).
    signal_transforms : tuple of str, default all of ``SIGNAL_TRANSFORMS``
        Per signal channel: "level" (aligned value at the origin and its 7-day mean; without "lead",
        also its log ratio to the channel's own 28-day mean), "decayed" (adstock with half-lives
        ``decay_half_lives``), "momentum" (7/28-day mean ratio), "zscore" (28-day z-score), "ratio"
        (28-day signal per unit sold) and "lead" (the signal at target date minus the channel's
        discovered lead, when that day is known at the origin, and the log ratio of the mean of the
        ``LEAD_MEAN`` days ending at that day, or at the origin when it is not yet known, to the
        channel's own 28-day mean: scale-free, and smoothed against the noise of small daily counts).
    decay_half_lives : tuple of float, default (3.0, 14.0)
    calendar : pandas.DataFrame or None, default None
        A frame with a ``date`` column and any event or flag columns, covering the training and
        forecast dates; string columns become categoricals. Used at the target date.
    date_parts : tuple of str, default ("day_of_week", "month", "day_of_year")
        Calendar parts of the target date.
    covariates : tuple of str or None, default None
        Known-ahead numeric columns of the sales frame (price, promo, ...) used at the target date.
        None means every numeric column other than units, ``on_hand`` and ``in_stock``.
    static : tuple of str or None, default None
        Per-series attribute columns (categoricals). None means every non-numeric sales column that is
        constant within each series.
    ids_as_categories : bool, default False
        Use the sku and store ids themselves as categorical features.
    """

    lags: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7, 14, 28)
    windows: tuple[int, ...] = (7, 28, 91)
    std_windows: tuple[int, ...] = (28,)
    ewm_alphas: tuple[float, ...] = (0.1,)
    zero_window: int | None = 28
    season: int = 7
    season_windows: int = 4
    year: int | None = None
    signal_transforms: tuple[str, ...] = SIGNAL_TRANSFORMS
    decay_half_lives: tuple[float, ...] = (3.0, 14.0)
    calendar: pd.DataFrame | None = field(default=None, repr=False)
    date_parts: tuple[str, ...] = ("day_of_week", "month", "day_of_year")
    covariates: tuple[str, ...] | None = None
    static: tuple[str, ...] | None = None
    ids_as_categories: bool = False

    def __post_init__(self) -> None:
        for name in ("lags", "windows", "std_windows"):
            values = getattr(self, name)
            if any(int(v) < 1 for v in values):
                raise ConfigError(f"FeatureSpec.{name} must hold integers >= 1, got {values}")
        if any(not 0.0 < float(a) <= 1.0 for a in self.ewm_alphas):
            raise ConfigError(f"FeatureSpec.ewm_alphas must lie in (0, 1], got {self.ewm_alphas}")
        unknown = set(self.signal_transforms) - set(SIGNAL_TRANSFORMS)
        if unknown:
            raise ConfigError(
                f"unknown signal transforms {sorted(unknown)}; choose from {list(SIGNAL_TRANSFORMS)}"
            )
        if self.season < 1 or self.season_windows < 1:
            raise ConfigError("FeatureSpec.season and season_windows must be >= 1")
        if self.year is not None and int(self.year) < 13:
            raise ConfigError(f"FeatureSpec.year must be None or >= 13 periods, got {self.year}")
        bad_parts = [p for p in self.date_parts if not hasattr(pd.DatetimeIndex, p)]
        if bad_parts:
            raise ConfigError(f"unknown date parts {bad_parts} (use DatetimeIndex attributes)")
        if self.calendar is not None:
            if not isinstance(self.calendar, pd.DataFrame) or "date" not in self.calendar.columns:
                raise ConfigError("FeatureSpec.calendar must be a DataFrame with a 'date' column")
            if self.calendar["date"].duplicated().any():
                raise ConfigError("FeatureSpec.calendar has duplicated dates")

    @property
    def skipped_ids(self) -> tuple[str, ...]:
        """The id columns left out of the static categories (none when ``ids_as_categories``)."""
        return () if self.ids_as_categories else ("sku", "store")

    @property
    def year_window(self) -> int:
        """Periods averaged by each year-ago feature: ``year // 13`` (four weeks), 0 when ``year`` is None."""
        return int(self.year) // 13 if self.year else 0

    @property
    def history(self) -> int:
        """Number of trailing periods the origin features read (the state kept for updates)."""
        spans = [
            *self.lags,
            *self.windows,
            *self.std_windows,
            self.season * self.season_windows + self.season,
        ]
        if self.zero_window:
            spans.append(self.zero_window)
        if self.year:
            spans.append(int(self.year) + self.year_window)
        if self.ewm_alphas or self.decay_half_lives:
            spans.append(364)
        if "lead" in self.signal_transforms:
            spans.append(MAX_LEAD + LEAD_MEAN - 1)
        return int(max(spans)) + 1

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe description (the calendar is summarised by its columns and date range)."""
        out = asdict(self)
        cal = out.pop("calendar")
        if cal is not None:
            out["calendar"] = {
                "columns": [str(c) for c in cal.columns],
                "start": str(pd.Timestamp(cal["date"].min()).date()),
                "end": str(pd.Timestamp(cal["date"].max()).date()),
            }
        else:
            out["calendar"] = None
        return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}
