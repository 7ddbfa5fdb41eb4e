"""LightGBM across workers: training with ``lightgbm.dask`` and early stopping evaluated per partition.

``lightgbm.dask`` trains one booster with LightGBM's data-parallel tree learner (each worker builds
histograms of its rows; the histograms are all-reduced over LightGBM's socket network). Its early
stopping would let each worker judge its own validation rows, so here the validation model is trained
for the full ``n_estimators`` rounds and the held-out loss of every round count is summed over
partitions afterwards (from the per-tree leaf values, one pass over the validation rows); the rule of
:func:`lightgbm.early_stopping` (stop after ``rounds`` rounds without improvement) then picks the
best round count, as on one machine.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from pullcast.distributed._partition import TARGET, Part
from pullcast.errors import ConfigError
from pullcast.forecast.gate import scrambled_errors
from pullcast.models.lgbm import GlobalLGBM

__all__ = ["best_round", "fit_dask", "held_out_abs_err", "leaf_values", "round_losses"]

_LOG_LINK = ("tweedie", "poisson")
_CHUNK = 20_000


def fit_dask(client: Any, X: Any, y: Any, model: GlobalLGBM, n_estimators: int) -> Any:
    """Train ``model``'s LightGBM parameters on Dask collections ``X, y``; returns the booster."""
    from lightgbm.dask import DaskLGBMRegressor

    params = model.lgb_params()
    params.pop("num_threads", None)
    est = DaskLGBMRegressor(client=client, n_estimators=int(n_estimators), **params)
    with warnings.catch_warnings():
        # lightgbm.dask sets the threads of each worker itself and says so about the sklearn default
        warnings.filterwarnings("ignore", message="Parameter n_jobs will be ignored", category=UserWarning)
        est.fit(X, y)
    return est.booster_


def leaf_values(booster: Any) -> list[np.ndarray]:
    """Value of every leaf of every tree (indexed like ``predict(pred_leaf=True)``)."""
    out = []
    for tree in booster.dump_model()["tree_info"]:
        values = np.zeros(int(tree["num_leaves"]))
        stack = [tree["tree_structure"]]
        while stack:
            node = stack.pop()
            if "split_index" not in node:  # a leaf (a one-leaf tree has no leaf_index)
                values[int(node.get("leaf_index", 0))] = float(node["leaf_value"])
            else:
                stack += [node["left_child"], node["right_child"]]
        out.append(values)
    return out


def _loss(y: np.ndarray, mu: np.ndarray, objective: str, power: float) -> np.ndarray:
    """LightGBM's default metric of each objective, per row (columns = round counts)."""
    if objective == "tweedie":
        s = np.maximum(mu, 1e-10)
        return -y * s ** (1 - power) / (1 - power) + s ** (2 - power) / (2 - power)
    if objective == "poisson":
        s = np.maximum(mu, 1e-10)
        return s - y * np.log(s)
    if objective == "regression_l1":
        return np.abs(y - mu)
    return (y - mu) ** 2  # regression (l2) and huber: squared error


def round_losses(
    part: Part | None, booster: Any, leaves: list[np.ndarray], columns: list[str], params: dict[str, Any]
) -> dict[str, np.ndarray] | None:
    """Summed held-out loss and absolute error of the first k trees, for every k, on one partition."""
    if part is None or len(part.frames["va"]) == 0:
        return None
    frame = part.frames["va"]
    y_all = frame[TARGET].to_numpy(dtype=np.float64)
    X = frame[columns]
    n_trees = len(leaves)
    objective = str(params["objective"])
    power = float(params.get("tweedie_variance_power", 1.5))
    loss = np.zeros(n_trees)
    abs_err = np.zeros(n_trees)
    for start in range(0, len(frame), _CHUNK):
        chunk = X.iloc[start : start + _CHUNK]
        y = y_all[start : start + _CHUNK, None]
        idx = np.asarray(booster.predict(chunk, pred_leaf=True), dtype=np.int64).reshape(len(chunk), -1)
        raw = np.empty((len(chunk), n_trees))
        for t in range(n_trees):
            raw[:, t] = leaves[t][idx[:, t]]
        raw = np.cumsum(raw, axis=1)
        mu = np.exp(raw) if objective in _LOG_LINK else raw
        loss += _loss(y, mu, objective, power).sum(axis=0)
        abs_err += np.abs(y - np.clip(mu, 0.0, None)).sum(axis=0)
    return {"loss": loss, "abs_err": abs_err, "abs_y": np.array([np.abs(y_all).sum()])}


def held_out_abs_y(part: Part | None) -> float:
    """Sum of the absolute held-out actuals of one partition (0 when it has none)."""
    if part is None or len(part.frames["va"]) == 0:
        return 0.0
    return float(np.abs(part.frames["va"][TARGET].to_numpy(dtype=np.float64)).sum())


def held_out_abs_err(part: Part | None, model: GlobalLGBM, scrambled: list[str], seed: int) -> float | None:
    """Summed absolute error of ``model`` on one partition's held-out rows, with the ``scrambled``
    columns' rows permuted together (:func:`pullcast.forecast.gate.scrambled_errors`); None without rows."""
    if part is None or len(part.frames["va"]) == 0:
        return None
    frame = part.frames["va"]
    X, y = frame[model.feature_names_], frame[TARGET].to_numpy(dtype=np.float64)
    return float(scrambled_errors(model.predict, X, y, scrambled, seed).sum())


def best_round(losses: np.ndarray, rounds: int) -> int:
    """Round count chosen by early stopping: the best so far, stopping ``rounds`` rounds after it."""
    best = 0
    for k in range(losses.size):
        if losses[k] < losses[best]:
            best = k
        elif k - best >= rounds:
            break
    return best + 1


def as_model(booster: Any, template: GlobalLGBM, n_rounds: int) -> GlobalLGBM:
    """A fitted :class:`GlobalLGBM` around a booster trained across workers."""
    if template.objective not in ("tweedie", "poisson", "regression", "regression_l1", "huber"):
        raise ConfigError(f"unsupported objective {template.objective!r}")
    model = GlobalLGBM(**template.get_params())
    model.booster_ = booster
    model.best_iteration_ = int(n_rounds)
    model.feature_names_ = list(booster.feature_name())
    return model


def valid_predictions(part: Part | None, model: GlobalLGBM, horizon: int) -> dict[str, np.ndarray] | None:
    """Held-out actuals, predictions, series numbers and path keys of one partition (kept on its worker)."""
    if part is None or len(part.frames["va"]) == 0:
        return None
    frame = part.frames["va"]
    p, h = part.rows["va"]
    mu = model.predict(frame[model.feature_names_])
    return {
        "y": frame[TARGET].to_numpy(dtype=np.float64),
        "mu": mu,
        "series": part.hist.series_of(p),
        "n_series": np.array([part.hist.n_series]),
        "path_key": p * (horizon + 1) + h,
    }


def sub_frame(part: Part | None, name: str, columns: list[str], frac: float, seed: int) -> pd.DataFrame:
    """Rows ``name`` of a partition (columns + target), a random ``frac`` of them when below 1."""
    assert part is not None
    frame = part.frames[name][[*columns, TARGET]]
    if frac >= 1.0:
        return frame
    rng = np.random.default_rng(seed)
    take = np.sort(rng.choice(len(frame), int(round(len(frame) * frac)), replace=False))
    return frame.iloc[take]
