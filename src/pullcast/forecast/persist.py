"""Saving and loading a fitted Forecaster in safe formats: LightGBM text, JSON and npz (never pickle).

Layout of a model directory::

    meta.json    library version, parameters, feature spec, columns, quantiles, training window,
                 leads, categories, distribution scalars, and the sha256 of every other file
    model.txt    the LightGBM booster (text format); absent for baseline models
    state.npz    the forecasting state (last periods of every series), ids, dispersion per series
    calendar.npz the user calendar of the feature spec, when there is one
    events.npz   the accepted signal events, when the model uses signals
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pullcast.columns import Columns
from pullcast.errors import IncompatibleModelError
from pullcast.features import Design, FeatureSpec, History, StaticBlock
from pullcast.forecast.distribution import NBDistribution
from pullcast.models.lgbm import GlobalLGBM

if TYPE_CHECKING:
    from pullcast.forecast.forecaster import Forecaster

__all__ = ["FORMAT_VERSION", "load", "save"]

FORMAT_VERSION = 1


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


def save(f: Forecaster, path: str | Path) -> Path:
    """Write a fitted forecaster to directory ``path`` (created; existing files are replaced)."""
    from pullcast._version import __version__

    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    design: Design = f.design_
    state: History = f.state_
    files: list[str] = []
    if isinstance(f.model_, GlobalLGBM):
        f.model_.save(out / "model.txt")
        files.append("model.txt")
        model_meta: dict[str, Any] = {"kind": "lgbm", "params": f.model_.get_params()}
    else:
        model_meta = {"kind": type(f.model_).__name__, "name": f.model, "params": f.model_.get_params()}
    arrays = {
        "y": state.y,
        "sold": state.sold,
        "indptr": state.indptr,
        "start_pos": state.start_pos,
        "alpha": f.distribution_.alpha,
        **{f"cov_{k}": v for k, v in state.covariates.items()},
        **{f"sig_{k}": v for k, v in state.signals.items()},
        **_frame_to_arrays(f.ids_, "ids_"),
        **_frame_to_arrays(design.static.frame, "static_"),
    }
    np.savez(out / "state.npz", **arrays)  # type: ignore[arg-type]
    files.append("state.npz")
    spec = design.spec
    if spec.calendar is not None:
        np.savez(out / "calendar.npz", **_frame_to_arrays(spec.calendar, "cal_"))  # type: ignore[arg-type]
        files.append("calendar.npz")
    if f.signal_store_ is not None:
        events = f.signal_store_.events()
        events = events[~events["duplicate"]].drop(columns=["duplicate", "revision"])
        np.savez(out / "events.npz", **_frame_to_arrays(events, "ev_"))  # type: ignore[arg-type]
        files.append("events.npz")
    meta = {
        "format": FORMAT_VERSION,
        "pullcast_version": __version__,
        "params": {k: v for k, v in f.get_params().items() if k not in ("features", "model", "columns")},
        "columns": f.columns.to_dict(),
        "model": model_meta,
        "feature_spec": spec.to_dict(),
        "calendar_columns": None if spec.calendar is None else [str(c) for c in spec.calendar.columns],
        "covariates": list(f.covariates_),
        "leads": design.leads,
        "drop": list(design.drop),
        "categories": design.static.categories,
        "static_columns": list(design.static.frame.columns),
        "id_columns": list(f.ids_.columns),
        "feature_names": f.feature_names_,
        "quantiles": list(f.quantiles_),
        "training_window": [str(f.training_window_[0].date()), str(f.training_window_[1].date())],
        "grid": {"start": str(state.grid[0]), "periods": int(state.grid.size), "freq": f.freq},
        "distribution": {"rho": f.distribution_.rho, "scale": f.distribution_.scale},
        "signal_channels": list(state.signals),
        "signal_specs": None
        if f.signal_store_ is None
        else {
            name: {"level": s.level, "agg": s.agg, "delay_ns": s.delay_ns}
            for name, s in f.signal_store_.channels.items()
        },
        "stores": None if f.stores_ is None else f.stores_.astype(str).to_dict("list"),
        "signal_report": json.loads(f.signal_report_.to_json(orient="records")),
        "nowcast_coef": getattr(f, "nowcast_coef_", None),
        "checksums": {name: _sha256(out / name) for name in files},
    }
    meta = json.loads(json.dumps(meta, default=str))
    meta["meta_checksum"] = _meta_digest(meta)
    (out / "meta.json").write_text(json.dumps(meta, indent=2))
    return out


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


def load(path: str | Path) -> Forecaster:
    """Read a forecaster written by :func:`save`, checking format, version and checksums."""
    from pullcast.forecast.forecaster import Forecaster
    from pullcast.forecast.training import make_model

    root = Path(path)
    meta = _read_meta(root)
    spec_dict = dict(meta["feature_spec"])
    spec_dict.pop("calendar", None)
    calendar = None
    if meta["calendar_columns"] is not None:
        with np.load(root / "calendar.npz", allow_pickle=False) as npz:
            calendar = _arrays_to_frame(npz, "cal_", meta["calendar_columns"])
        calendar["date"] = pd.to_datetime(calendar["date"])
    spec_args: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in spec_dict.items()}
    spec = FeatureSpec(**spec_args, calendar=calendar)
    params = dict(meta["params"])
    params["quantiles"] = tuple(params["quantiles"])
    f = Forecaster(**params, features=spec, columns=Columns(**meta["columns"]))
    if meta["model"]["kind"] == "lgbm":
        f.model_ = GlobalLGBM.load(root / "model.txt", **meta["model"]["params"])
    else:
        f.model = meta["model"]["name"]
        f.model_ = make_model(meta["model"]["name"], f.seed).set_params(**meta["model"]["params"])
    with np.load(root / "state.npz", allow_pickle=False) as npz:
        grid = pd.date_range(
            meta["grid"]["start"], periods=meta["grid"]["periods"], freq=meta["grid"]["freq"]
        ).as_unit("ns")
        state = History(
            y=npz["y"],
            sold=npz["sold"],
            indptr=npz["indptr"],
            start_pos=npz["start_pos"],
            grid=grid,
            covariates={c: npz[f"cov_{c}"] for c in meta["covariates"]},
            signals={c: npz[f"sig_{c}"] for c in meta["signal_channels"]},
        )
        ids = _arrays_to_frame(npz, "ids_", meta["id_columns"])
        static = _arrays_to_frame(npz, "static_", meta["static_columns"])
        alpha = npz["alpha"]
    f.quantiles_ = tuple(meta["quantiles"])
    f.covariates_ = tuple(meta["covariates"])
    f.leads_ = {k: int(v) for k, v in meta["leads"].items()}
    f.design_ = Design(
        spec, f.covariates_, dict(f.leads_), StaticBlock(static, meta["categories"]), drop=tuple(meta["drop"])
    )
    f.distribution_ = NBDistribution(
        alpha=alpha, rho=meta["distribution"]["rho"], scale=meta["distribution"]["scale"]
    )
    f.feature_names_ = list(meta["feature_names"])
    f.signal_report_ = pd.DataFrame(meta["signal_report"])
    f.nowcast_coef_ = meta.get("nowcast_coef")
    start, end = meta["training_window"]
    f.training_window_ = (pd.Timestamp(start), pd.Timestamp(end))
    f.stores_ = None if meta["stores"] is None else pd.DataFrame(meta["stores"])
    f.signal_store_ = _load_store(root, meta, f.stores_)
    f.state_, f.ids_ = state, ids
    return f


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
