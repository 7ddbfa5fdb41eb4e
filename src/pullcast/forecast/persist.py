"""Saving and loading the two values of a fitted forecaster in safe formats: LightGBM text, JSON and npz
(never pickle).

:func:`save` writes a :class:`~pullcast.forecast.fitted.FittedModel` and a
:class:`~pullcast.forecast.state.ForecastState` (plus the estimator parameters); :func:`load` reads them
back as a :class:`Saved`. This module knows neither the Forecaster nor the training pipeline:
``Forecaster.load`` builds a forecaster from what :func:`load` returns.

Layout of a model directory::

    meta.json    library version, parameters, feature spec, columns, quantiles, training window,
                 leads, categories, distribution scalars, and the sha256 of every other file
    model.txt    the LightGBM booster (text format); absent for baseline models
    state.npz    the forecast state (last periods of every series, ids, attributes, a baseline's
                 forecast) and the fitted model's arrays (dispersion per series, fit-time attributes)
    calendar.npz the user calendar of the feature spec, when there is one
    events.npz   the accepted signal events, when the model uses signals

A save is atomic: the files are written to a new sibling directory, which then replaces ``path`` (when
``path`` already holds files, they are replaced one by one, ``meta.json`` last, so a reader sees either
the old save or a checksum mismatch, never a mix it would accept). Directories saved before the fitted
model and the state were split (no ``fitted_static_columns`` in meta.json) load too.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from pullcast.columns import Columns
from pullcast.errors import IncompatibleModelError
from pullcast.features import Design, FeatureSpec, History, StaticBlock
from pullcast.forecast.distribution import NBDistribution
from pullcast.forecast.fitted import FittedModel
from pullcast.forecast.state import ForecastState, baseline_forecast
from pullcast.models import MODELS, get_model
from pullcast.models.lgbm import GlobalLGBM

__all__ = ["FORMAT_VERSION", "Saved", "load", "save"]

FORMAT_VERSION = 1
_FILES = ("model.txt", "state.npz", "calendar.npz", "events.npz", "meta.json")


class Saved(NamedTuple):
    """What :func:`load` returns: the fitted model, the forecast state and the estimator parameters
    (``features``, ``model`` and ``columns`` included, ready for ``Forecaster(**params)``)."""

    fitted: FittedModel
    state: ForecastState
    params: dict[str, Any]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _frame_to_arrays(frame: pd.DataFrame, prefix: str) -> dict[str, np.ndarray]:
    out = {}
    for col in frame.columns:
        values = frame[col]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
            out[f"{prefix}{col}"] = values.to_numpy()
        else:
            out[f"{prefix}{col}"] = values.astype(str).to_numpy(dtype=str)
    return out


def _arrays_to_frame(npz: Any, prefix: str, order: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: npz[f"{prefix}{c}"] for c in order})


def save(path: str | Path, fitted: FittedModel, state: ForecastState, params: dict[str, Any]) -> Path:
    """Write ``fitted`` and ``state`` to directory ``path`` atomically (created; a previous save there is
    replaced). ``params`` are the estimator parameters; ``features``, ``model`` and ``columns`` among them
    are ignored (the fitted model holds them)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        tmp.chmod(0o755)  # mkdtemp makes it private to the user
        _write(tmp, fitted, state, params)
        _replace_dir(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def _replace_dir(tmp: Path, out: Path) -> None:
    if not out.exists():
        os.replace(tmp, out)
        return
    written = {p.name for p in tmp.iterdir()}
    for name in _FILES:  # data files first, meta.json (the commit point) last
        if name in written:
            os.replace(tmp / name, out / name)
        elif (out / name).is_file():
            (out / name).unlink()  # a file of the previous save this one does not have


def _model_meta(model: Any, out: Path) -> dict[str, Any]:
    if isinstance(model, GlobalLGBM):
        model.save(out / "model.txt")
        return {"kind": "lgbm", "name": "lgbm", "params": model.get_params()}
    kind = type(model).__name__
    names = [k for k, v in MODELS.items() if v.split(":")[1] == kind]
    return {"kind": kind, "name": names[0] if names else None, "params": model.get_params()}


def _write(out: Path, fitted: FittedModel, state: ForecastState, params: dict[str, Any]) -> None:
    from pullcast._version import __version__

    design, hist = fitted.design, state.history
    model_meta = _model_meta(fitted.model, out)
    files = ["model.txt"] if model_meta["kind"] == "lgbm" else []
    arrays = {
        "y": hist.y,
        "sold": hist.sold,
        "indptr": hist.indptr,
        "start_pos": hist.start_pos,
        "first_pos": hist.born,
        "alpha": fitted.distribution.alpha,
        **{f"cov_{k}": v for k, v in hist.covariates.items()},
        **{f"sig_{k}": v for k, v in hist.signals.items()},
        **_frame_to_arrays(state.ids, "ids_"),
        **_frame_to_arrays(state.static.frame, "static_"),
        **_frame_to_arrays(design.static.frame, "fstatic_"),
    }
    if state.baseline_mean is not None:
        arrays["baseline_mean"] = state.baseline_mean
    np.savez(out / "state.npz", **arrays)  # type: ignore[arg-type]
    files.append("state.npz")
    spec = design.spec
    if spec.calendar is not None:
        np.savez(out / "calendar.npz", **_frame_to_arrays(spec.calendar, "cal_"))  # type: ignore[arg-type]
        files.append("calendar.npz")
    store = state.signal_store
    if store is not None:
        events = store.events()
        events = events[~events["duplicate"]].drop(columns=["duplicate", "revision"])
        np.savez(out / "events.npz", **_frame_to_arrays(events, "ev_"))  # type: ignore[arg-type]
        files.append("events.npz")
    meta = {
        "format": FORMAT_VERSION,
        "pullcast_version": __version__,
        "params": {k: v for k, v in params.items() if k not in ("features", "model", "columns")},
        "horizon": int(fitted.horizon),
        "freq": fitted.freq,
        "columns": fitted.columns.to_dict(),
        "model": model_meta,
        "feature_spec": spec.to_dict(),
        "calendar_columns": None if spec.calendar is None else [str(c) for c in spec.calendar.columns],
        "covariates": list(fitted.covariates),
        "leads": fitted.leads,
        "design_leads": design.leads,
        "drop": list(design.drop),
        "categories": design.static.categories,
        "static_columns": list(state.static.frame.columns),
        "fitted_static_columns": list(design.static.frame.columns),
        "id_columns": list(state.ids.columns),
        "feature_names": list(fitted.feature_names),
        "quantiles": list(fitted.quantiles),
        "training_window": [str(d.date()) for d in fitted.training_window],
        "grid": {"start": str(hist.grid[0]), "periods": int(hist.grid.size), "freq": fitted.freq},
        "distribution": {"rho": fitted.distribution.rho, "scale": fitted.distribution.scale},
        "signal_channels": list(hist.signals),
        "signal_specs": None
        if store is None
        else {
            name: {"level": s.level, "agg": s.agg, "delay_ns": s.delay_ns}
            for name, s in store.channels.items()
        },
        "stores": None if state.stores is None else state.stores.astype(str).to_dict("list"),
        "signal_report": json.loads(fitted.signal_report.to_json(orient="records")),
        "signal_report_columns": [str(c) for c in fitted.signal_report.columns],
        "nowcast_coef": fitted.nowcast,
        "checksums": {name: _sha256(out / name) for name in files},
    }
    meta = json.loads(json.dumps(meta, default=str))
    meta["meta_checksum"] = _meta_digest(meta)
    (out / "meta.json").write_text(json.dumps(meta, indent=2))


def _meta_digest(meta: dict[str, Any]) -> str:
    body = {k: v for k, v in meta.items() if k != "meta_checksum"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _read_meta(path: Path) -> dict[str, Any]:
    from pullcast._version import __version__

    meta_path = path / "meta.json"
    if not meta_path.is_file():
        raise IncompatibleModelError(f"{path} is not a pullcast model directory: meta.json is missing")
    try:
        meta: dict[str, Any] = json.loads(meta_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IncompatibleModelError(f"{meta_path} is not valid JSON: {exc}") from None
    if not isinstance(meta, dict) or meta.get("meta_checksum") != _meta_digest(meta):
        raise IncompatibleModelError(f"{meta_path} does not match its checksum: it was changed or corrupted")
    if meta.get("format") != FORMAT_VERSION:
        raise IncompatibleModelError(
            f"model format {meta.get('format')!r} is not {FORMAT_VERSION} (this pullcast)"
        )
    saved = str(meta.get("pullcast_version", "")).split(".")[:2]
    if saved != __version__.split(".")[:2]:
        raise IncompatibleModelError(
            f"model saved by pullcast {meta.get('pullcast_version')}, this is {__version__}: "
            "refit, or load it with that version"
        )
    for name, digest in meta.get("checksums", {}).items():
        file = path / name
        if not file.is_file():
            raise IncompatibleModelError(f"model file {name} is missing from {path}")
        if _sha256(file) != digest:
            raise IncompatibleModelError(
                f"model file {name} does not match its checksum: it was changed or corrupted"
            )
    return meta


def load(path: str | Path) -> Saved:
    """Read what :func:`save` wrote, checking format, version and checksums.

    Raises
    ------
    IncompatibleModelError
        The directory is not a model, was changed or corrupted, or comes from another version.
    """
    root = Path(path)
    meta = _read_meta(root)
    spec = _feature_spec(root, meta)
    params: dict[str, Any] = dict(meta["params"])
    params["quantiles"] = tuple(params["quantiles"])
    columns = Columns(**meta["columns"])
    model = _load_model(root, meta["model"])
    params.update(features=spec, columns=columns, model=meta["model"]["name"])
    with np.load(root / "state.npz", allow_pickle=False) as npz:
        grid = pd.date_range(
            meta["grid"]["start"], periods=meta["grid"]["periods"], freq=meta["grid"]["freq"]
        ).as_unit("ns")
        hist = History(
            y=npz["y"],
            sold=npz["sold"],
            indptr=npz["indptr"],
            start_pos=npz["start_pos"],
            first_pos=npz["first_pos"] if "first_pos" in npz.files else None,  # absent in older saves
            grid=grid,
            covariates={c: npz[f"cov_{c}"] for c in meta["covariates"]},
            signals={c: npz[f"sig_{c}"] for c in meta["signal_channels"]},
        )
        ids = _arrays_to_frame(npz, "ids_", meta["id_columns"])
        static = StaticBlock(_arrays_to_frame(npz, "static_", meta["static_columns"]), meta["categories"])
        fitted_cols = meta.get("fitted_static_columns")  # absent before the fitted/state split
        fitted_static = (
            static
            if fitted_cols is None
            else StaticBlock(_arrays_to_frame(npz, "fstatic_", fitted_cols), meta["categories"])
        )
        alpha = npz["alpha"]
        baseline_mean = npz["baseline_mean"] if "baseline_mean" in npz.files else None
    leads = {k: int(v) for k, v in meta["leads"].items()}
    design_leads = {k: int(v) for k, v in meta.get("design_leads", leads).items()}
    covariates = tuple(meta["covariates"])
    start, end = meta["training_window"]
    fitted = FittedModel(
        design=Design(spec, covariates, design_leads, fitted_static, drop=tuple(meta["drop"])),
        model=model,
        distribution=NBDistribution(
            alpha=alpha, rho=meta["distribution"]["rho"], scale=meta["distribution"]["scale"]
        ),
        signal_report=pd.DataFrame(meta["signal_report"], columns=meta.get("signal_report_columns")),
        feature_names=tuple(meta["feature_names"]),
        quantiles=tuple(meta["quantiles"]),
        covariates=covariates,
        leads=leads,
        training_window=(pd.Timestamp(start), pd.Timestamp(end)),
        horizon=int(meta.get("horizon", params["horizon"])),
        freq=str(meta.get("freq", params["freq"])),
        columns=columns,
        nowcast=meta.get("nowcast_coef"),
    )
    stores = None if meta["stores"] is None else pd.DataFrame(meta["stores"])
    if fitted.is_baseline and baseline_mean is None:  # saved before baselines kept their forecast
        baseline_mean = baseline_forecast(fitted, hist)
    state = ForecastState(hist, ids, static, _load_store(root, meta, stores), stores, baseline_mean)
    return Saved(fitted, state, params)


def _feature_spec(root: Path, meta: dict[str, Any]) -> FeatureSpec:
    spec_dict = dict(meta["feature_spec"])
    spec_dict.pop("calendar", None)
    calendar = None
    if meta["calendar_columns"] is not None:
        with np.load(root / "calendar.npz", allow_pickle=False) as npz:
            calendar = _arrays_to_frame(npz, "cal_", meta["calendar_columns"])
        calendar["date"] = pd.to_datetime(calendar["date"])
    spec_args: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in spec_dict.items()}
    return FeatureSpec(**spec_args, calendar=calendar)


def _load_model(root: Path, model_meta: dict[str, Any]) -> Any:
    if model_meta["kind"] == "lgbm":
        return GlobalLGBM.load(root / "model.txt", **model_meta["params"])
    name = model_meta.get("name")
    if name not in MODELS:  # saved before the kind was kept by registry name, or a custom baseline
        names = [k for k, v in MODELS.items() if v.split(":")[1] == model_meta["kind"]]
        if not names:
            raise IncompatibleModelError(
                f"the saved model is a {model_meta['kind']}, which is not a registered pullcast model: "
                "refit it instead of loading"
            )
        name = model_meta["name"] = names[0]
    return get_model(name, **model_meta["params"])


def _load_store(root: Path, meta: dict[str, Any], stores: pd.DataFrame | None) -> Any:
    if meta["signal_specs"] is None:
        return None
    from pullcast.signals import ChannelSpec, SignalStore

    specs = [
        ChannelSpec(name, level=s["level"], agg=s["agg"], delay=pd.Timedelta(s["delay_ns"], unit="ns"))
        for name, s in meta["signal_specs"].items()
    ]
    store = SignalStore(specs, stores=stores)
    with np.load(root / "events.npz", allow_pickle=False) as npz:
        cols = [k[len("ev_") :] for k in npz.files]
        events = _arrays_to_frame(npz, "ev_", cols)
    for col in ("store", "region"):
        if col in events:
            events[col] = events[col].replace({"None": None, "nan": None})
    if len(events):
        store.append(events)
    return store
