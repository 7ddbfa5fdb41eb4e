"""``evaluate`` (a tidy table of metrics by model and horizon) and ``fva`` (forecast value added)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from pullcast.columns import Columns
from pullcast.errors import ColumnError, ConfigError, DataError
from pullcast.metrics._frames import (
    CUTOFF,
    FORECAST,
    HORIZON,
    MODEL,
    add_horizon,
    canonical,
    quantile_columns,
    quantile_level,
    require,
)
from pullcast.metrics._point import bias, coverage, mae, pinball, rmse, wape
from pullcast.metrics._scaled import attach_scales, mase_of, rmsse_of, wrmsse_of

__all__ = ["evaluate", "fva"]

MetricFn = Callable[[pd.DataFrame], float]
_POINT: dict[str, Callable[..., float]] = {"wape": wape, "mae": mae, "rmse": rmse, "bias": bias}
_SCALED: dict[str, Callable[..., float]] = {"mase": mase_of, "rmsse": rmsse_of, "wrmsse": wrmsse_of}
_FVA_METRICS = ("wape", "mae", "rmse", "mase", "rmsse", "wrmsse")
KNOWN = (*_POINT, *_SCALED, "pinball", "coverage")


@dataclass(frozen=True)
class _Metric:
    name: str
    fn: MetricFn
    needs: tuple[str, ...] = ()  # scale kinds: "mase", "rmsse", "weight"


def _expand(spec: str | MetricFn, frame: pd.DataFrame, forecast: str) -> list[_Metric]:
    if callable(spec):
        return [_Metric(getattr(spec, "__name__", "metric"), spec)]
    name = str(spec)
    if name in _POINT:
        point = _POINT[name]
        return [_Metric(name, partial(point, forecast=forecast))]
    if name in _SCALED:
        scaled = _SCALED[name]
        needs = {"mase": ("mase",), "rmsse": ("rmsse",), "wrmsse": ("rmsse", "weight")}[name]
        return [_Metric(name, partial(scaled, forecast=forecast), needs)]
    if name == "pinball" or name.startswith("pinball_"):
        cols = quantile_columns(frame) if name == "pinball" else [name[len("pinball_") :]]
        if not cols:
            raise ColumnError("metric 'pinball' needs quantile columns (p10, p50, ...); the frame has none")
        return [_Metric(f"pinball_{c}", partial(pinball, quantile=c)) for c in cols]
    if name == "coverage" or name.startswith("coverage_"):
        if name == "coverage":
            pairs = _symmetric_pairs(quantile_columns(frame))
            if not pairs:
                raise ColumnError(
                    "metric 'coverage' needs a symmetric pair of quantile columns (p10 and p90)"
                )
        else:
            parts = name.split("_")
            if len(parts) != 3:
                raise ConfigError(f"write an interval coverage as 'coverage_p10_p90', got {name!r}")
            pairs = [(parts[1], parts[2])]
        return [_Metric(f"coverage_{lo}_{hi}", partial(coverage, lower=lo, upper=hi)) for lo, hi in pairs]
    raise ConfigError(f"unknown metric {name!r}; known: {list(KNOWN)} (or pass a function frame -> float)")


def _symmetric_pairs(qcols: list[str]) -> list[tuple[str, str]]:
    levels = {round(quantile_level(c), 9): c for c in qcols}
    return [
        (c, levels[round(1.0 - q, 9)]) for q, c in levels.items() if q < 0.5 and round(1.0 - q, 9) in levels
    ]


def _default_metrics(frame: pd.DataFrame, train: pd.DataFrame | None) -> list[str]:
    names = ["wape", "mae", "rmse", "bias"]
    if train is not None:
        names += ["mase", "rmsse", "wrmsse"]
    qcols = quantile_columns(frame)
    if qcols:
        names.append("pinball")
    if _symmetric_pairs(qcols):
        names.append("coverage")
    return names


def _prepare(
    cv: pd.DataFrame, by: Sequence[str], freq: str, columns: Columns
) -> tuple[pd.DataFrame, list[str]]:
    frame = canonical(cv, columns)
    by = [by] if isinstance(by, str) else list(by)
    if HORIZON in by and HORIZON not in frame.columns:
        frame = add_horizon(frame, freq=freq)
    missing = [c for c in by if c not in frame.columns]
    if missing:
        raise ColumnError(f"cannot group by {missing}: not columns of the frame ({list(frame.columns)})")
    return frame, by


def _score(
    frame: pd.DataFrame,
    specs: Iterable[str | MetricFn],
    by: list[str],
    *,
    train: pd.DataFrame | None,
    weights: pd.DataFrame | pd.Series | None,
    season_length: int,
    forecast: str,
    columns: Columns,
) -> pd.DataFrame:
    metrics = [m for spec in specs for m in _expand(spec, frame, forecast)]
    kinds = tuple(sorted({k for m in metrics for k in m.needs}))
    if kinds:
        frame = attach_scales(
            frame, train, kinds=kinds, season_length=season_length, weights=weights, columns=columns
        )
    keys = ([MODEL] if MODEL in frame.columns else []) + [c for c in by if c != MODEL]
    groups = [((), frame)] if not keys else frame.groupby(keys, sort=True, dropna=False)
    rows = []
    for key, part in groups:
        labels = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))
        for m in metrics:
            rows.append({**labels, "metric": m.name, "value": float(m.fn(part))})
    return pd.DataFrame(rows, columns=[*keys, "metric", "value"])


def evaluate(
    cv: pd.DataFrame,
    metrics: Sequence[str | MetricFn] | None = None,
    by: Sequence[str] = (HORIZON,),
    train: pd.DataFrame | None = None,
    *,
    weights: pd.DataFrame | pd.Series | None = None,
    season_length: int = 1,
    freq: str = "D",
    forecast: str = FORECAST,
    columns: Columns = Columns(),
) -> pd.DataFrame:
    """Score a backtest frame: one row per (model, group, metric).

    Parameters
    ----------
    cv : pandas.DataFrame
        Backtest frame (docs/architecture.md): ``sku, store, date, cutoff, units, forecast`` and
        quantile columns ``p10, p50, ...``; optional ``model`` (several models stacked), which is
        always grouped by.
    metrics : sequence of str or callable, default None
        Names among ``wape, mae, rmse, bias, mase, rmsse, wrmsse, pinball, coverage`` or functions
        ``frame -> float``. ``"pinball"`` gives one row per quantile column (``pinball_p10``, ...),
        ``"coverage"`` one per symmetric pair present (``coverage_p10_p90``); name a single one as
        ``"pinball_p90"`` or ``"coverage_p5_p95"``. None: wape, mae, rmse, bias, plus mase, rmsse and
        wrmsse when ``train`` is given, plus pinball and coverage when quantile columns are present.
    by : sequence of str, default ("horizon",)
        Columns to group by; ``horizon`` (periods from cutoff to date, 1 = the period after the
        cutoff) is derived when absent. ``()`` scores each model over the whole frame.
    train : pandas.DataFrame or None, default None
        Training sales frame, needed by mase, rmsse and wrmsse (scales come from the history up to
        each row's cutoff).
    weights : pandas.DataFrame or pandas.Series or None, default None
        WRMSSE weights per series (see :func:`pullcast.metrics.wrmsse`).
    season_length : int, default 1
        Seasonal period of the MASE scale.
    freq : str, default "D"
        Frequency used to count horizons.
    forecast : str, default "forecast"
        The point-forecast column.
    columns : Columns, default Columns()
        Column names in use.

    Returns
    -------
    pandas.DataFrame
        Columns ``model`` (when present), the ``by`` columns, ``metric``, ``value``.

    Raises
    ------
    ColumnError
        Missing columns (named).
    ConfigError
        Unknown metric names.
    DataError
        NaN actuals or forecasts (filter them out first), series with no usable scale.
    """
    frame, by_cols = _prepare(cv, by, freq, columns)
    require(frame, ["units"])
    specs = _default_metrics(frame, train) if metrics is None else list(metrics)
    return _score(
        frame,
        specs,
        by_cols,
        train=train,
        weights=weights,
        season_length=season_length,
        forecast=forecast,
        columns=columns,
    )


def _stack_columns(frame: pd.DataFrame, baseline: str, forecast: str) -> pd.DataFrame:
    require(frame, [forecast, baseline])
    base = frame.drop(columns=[forecast]).rename(columns={baseline: forecast}).assign(**{MODEL: baseline})
    own = frame.drop(columns=[baseline]).assign(**{MODEL: forecast})
    return pd.concat([own, base], ignore_index=True)


def _check_aligned(frame: pd.DataFrame, baseline: str) -> None:
    keys = [c for c in ("sku", "store", "date", CUTOFF) if c in frame.columns]
    index = {m: pd.MultiIndex.from_frame(g[keys]) for m, g in frame.groupby(MODEL, sort=True)}
    if baseline not in index:
        raise DataError(f"baseline model {baseline!r} is not in the frame's models {sorted(index)}")
    ref = index[baseline]
    for name, idx in index.items():
        if name == baseline:
            continue
        diff = len(idx.symmetric_difference(ref))
        if diff or len(idx) != len(ref):
            raise DataError(
                f"model {name!r} and baseline {baseline!r} must be scored on the same rows {keys}; "
                f"{diff} rows are in one and not the other"
            )


def fva(
    cv: pd.DataFrame,
    baseline: str,
    *,
    metric: str = "wape",
    by: Sequence[str] = (),
    train: pd.DataFrame | None = None,
    weights: pd.DataFrame | pd.Series | None = None,
    freq: str = "D",
    forecast: str = FORECAST,
    columns: Columns = Columns(),
) -> pd.DataFrame:
    """Forecast value added: how much each model lowers an error metric against a named baseline.

    Parameters
    ----------
    cv : pandas.DataFrame
        Either several models stacked with a ``model`` column (``baseline`` names one of them; every
        model must cover exactly the baseline's rows), or one frame with the baseline forecast as an
        extra column (``baseline`` names that column; the model is the ``forecast`` column).
    baseline : str
        The baseline model name or column.
    metric : str, default "wape"
        One of ``wape, mae, rmse, mase, rmsse, wrmsse`` (lower is better).
    by : sequence of str, default ()
        Extra grouping columns, e.g. ``("horizon",)``.
    train, weights, freq, forecast, columns
        As in :func:`evaluate`.

    Returns
    -------
    pandas.DataFrame
        Columns: the ``by`` columns, ``model``, ``metric``, ``value``, ``baseline``,
        ``baseline_value``, ``fva`` (= baseline_value - value, positive when the model helps) and
        ``fva_pct`` (= fva / baseline_value). The baseline itself is not listed.

    Raises
    ------
    ConfigError
        A metric outside the list above.
    DataError
        Unknown baseline, or models scored on different rows.
    """
    if metric not in _FVA_METRICS:
        raise ConfigError(f"fva needs an error metric among {list(_FVA_METRICS)}, got {metric!r}")
    frame, by_cols = _prepare(cv, by, freq, columns)
    if MODEL not in frame.columns:
        frame = _stack_columns(frame, baseline, forecast)
    _check_aligned(frame, baseline)
    scored = _score(
        frame,
        [metric],
        by_cols,
        train=train,
        weights=weights,
        season_length=1,
        forecast=forecast,
        columns=columns,
    )
    base = scored[scored[MODEL] == baseline].drop(columns=[MODEL]).rename(columns={"value": "baseline_value"})
    rest = scored[scored[MODEL] != baseline]
    out = rest.merge(base, on=[*by_cols, "metric"], how="left", sort=False)
    out.insert(out.columns.get_loc("baseline_value"), "baseline", baseline)
    out["fva"] = out["baseline_value"] - out["value"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["fva_pct"] = out["fva"] / out["baseline_value"]
    return out[
        [*by_cols, MODEL, "metric", "value", "baseline", "baseline_value", "fva", "fva_pct"]
    ].reset_index(drop=True)
