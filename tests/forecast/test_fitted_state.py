"""The fitted model and the forecast state: two frozen values, saved and loaded exactly, that predict
reads without side effects, and whose serving rows equal the training rows of the same origin."""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pandas as pd
import pytest
from conftest import constant_sales

from pullcast import Forecaster
from pullcast.features import History
from pullcast.forecast import persist
from pullcast.forecast import predict as pred
from pullcast.forecast.fitted import FittedModel
from pullcast.forecast.state import ForecastState
from pullcast.panel import Panel

HORIZON = 5
FAST = {"verbose": False, "max_rows": 20_000, "signal_gate": None}


def _split(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    cut = frame["date"].max() - pd.Timedelta(days=HORIZON)
    return frame[frame["date"] <= cut], frame[frame["date"] > cut]


@pytest.fixture(scope="module")
def fitted(retail):
    """A forecaster with covariates, signals and a store map, fit on all but the last HORIZON days;
    the last days are the future frame (they carry the covariates) and the update rows."""
    sales, events, stores = retail
    older, newer = _split(sales)
    f = Forecaster(horizon=HORIZON, **FAST).fit(older, events, stores)
    return f, sales, newer


def _future(newer: pd.DataFrame) -> pd.DataFrame:
    return newer[["sku", "store", "date", "price", "promo"]]


def _assert_history_equal(a: History, b: History) -> None:
    for name in ("y", "sold", "indptr", "start_pos"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    pd.testing.assert_index_equal(a.grid, b.grid)
    for field in ("covariates", "signals"):
        da, db = getattr(a, field), getattr(b, field)
        assert list(da) == list(db)
        for k in da:
            np.testing.assert_array_equal(da[k], db[k])


def _assert_frame_equal(a: pd.DataFrame | None, b: pd.DataFrame | None) -> None:
    if a is None or b is None:
        assert a is None and b is None
        return
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False)


def assert_fitted_equal(a: FittedModel, b: FittedModel) -> None:
    """Field by field: arrays equal, frames equal, the booster's text equal."""
    assert [f.name for f in dataclasses.fields(a)] == [f.name for f in dataclasses.fields(b)]
    da, db = a.design, b.design
    assert da.spec.to_dict() == db.spec.to_dict()
    _assert_frame_equal(da.spec.calendar, db.spec.calendar)
    assert (da.covariates, da.leads, da.drop) == (db.covariates, db.leads, db.drop)
    _assert_frame_equal(da.static.frame, db.static.frame)
    assert da.static.categories == db.static.categories
    assert type(a.model) is type(b.model) and a.model.get_params() == b.model.get_params()
    if not a.is_baseline:
        assert a.model.booster_.model_to_string() == b.model.booster_.model_to_string()
    np.testing.assert_array_equal(a.distribution.alpha, b.distribution.alpha)
    assert (a.distribution.rho, a.distribution.scale) == (b.distribution.rho, b.distribution.scale)
    _assert_frame_equal(a.signal_report, b.signal_report)
    for name in ("feature_names", "quantiles", "covariates", "leads", "training_window", "horizon", "freq"):
        assert getattr(a, name) == getattr(b, name), name
    assert a.columns.to_dict() == b.columns.to_dict()
    assert a.nowcast == b.nowcast


def assert_state_equal(a: ForecastState, b: ForecastState) -> None:
    _assert_history_equal(a.history, b.history)
    _assert_frame_equal(a.ids, b.ids)
    _assert_frame_equal(a.static.frame, b.static.frame)
    assert a.static.categories == b.static.categories
    _assert_frame_equal(a.stores, b.stores)
    if a.baseline_mean is None or b.baseline_mean is None:
        assert a.baseline_mean is None and b.baseline_mean is None
    else:
        np.testing.assert_array_equal(a.baseline_mean, b.baseline_mean)
    assert (a.signal_store is None) == (b.signal_store is None)
    if a.signal_store is not None:
        cols = ["sku", "time", "channel", "value", "arrived_at"]
        ea = a.signal_store.events()
        eb = b.signal_store.events()
        _assert_frame_equal(ea[~ea["duplicate"]][cols], eb[~eb["duplicate"]][cols])


def test_the_two_values_are_frozen(fitted) -> None:
    f = fitted[0]
    assert isinstance(f.fitted_, FittedModel) and isinstance(f.forecast_state_, ForecastState)
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.fitted_.horizon = 3  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.forecast_state_.ids = f.ids_  # type: ignore[misc]
    with pytest.raises(AttributeError):
        f.model_ = None  # read-only views of the two values
    assert f.model_ is f.fitted_.model and f.state_ is f.forecast_state_.history
    assert f.quantiles_ == f.fitted_.quantiles and f.signal_store_ is f.forecast_state_.signal_store


def test_fitted_values_round_trip_through_save_and_load(fitted, tmp_path) -> None:
    f, _sales, newer = fitted
    f.save(tmp_path / "m")
    saved = persist.load(tmp_path / "m")
    assert_fitted_equal(saved.fitted, f.fitted_)
    assert_state_equal(saved.state, f.forecast_state_)
    loaded = Forecaster.load(tmp_path / "m")
    assert loaded.get_params().keys() == f.get_params().keys()
    assert {k: v for k, v in loaded.get_params().items() if k != "features"} == {
        k: v for k, v in f.get_params().items() if k != "features"
    }
    future = _future(newer)
    pd.testing.assert_frame_equal(loaded.predict(future), f.predict(future))
    np.testing.assert_array_equal(
        loaded.sample_paths(30, seed=5, future=future), f.sample_paths(30, 5, future)
    )
    f.save(tmp_path / "m")  # saving over a save replaces it, leaving no temporary directory
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]


def test_a_baseline_save_load_predicts_identically(tmp_path) -> None:
    sales = constant_sales(n_days=60)
    f = Forecaster(horizon=HORIZON, model="snaive", verbose=False).fit(sales)
    assert f.fitted_.is_baseline and f.forecast_state_.baseline_mean.shape == (4, HORIZON)
    assert getattr(f.fitted_.model, "fitted_", None) is None  # its fit to the history is in the state
    f.save(tmp_path / "b")
    saved = persist.load(tmp_path / "b")
    assert_fitted_equal(saved.fitted, f.fitted_)
    assert_state_equal(saved.state, f.forecast_state_)
    loaded = Forecaster.load(tmp_path / "b")
    assert loaded.model == "snaive"
    pd.testing.assert_frame_equal(loaded.predict(), f.predict())
    day = sales[sales["date"] == sales["date"].max()].assign(date=lambda d: d["date"] + pd.Timedelta(days=1))
    pd.testing.assert_frame_equal(loaded.update(day).predict(), f.update(day).predict())


def test_predict_sample_paths_and_update_leave_the_fitted_value_alone(retail) -> None:
    sales, events, stores = retail
    older, newer = _split(sales)
    f = Forecaster(horizon=HORIZON, **FAST).fit(older, events, stores)
    future = _future(newer)
    model, state = f.fitted_, f.forecast_state_
    snapshot = copy.deepcopy(model)
    state_snapshot = copy.deepcopy(state)
    paths_first = f.sample_paths(100, seed=3, future=future)  # before any predict
    fc1 = f.predict(future)
    fc2 = f.predict(future)
    pd.testing.assert_frame_equal(fc1, fc2)
    np.testing.assert_array_equal(paths_first, f.sample_paths(100, seed=3, future=future))
    # the pure functions give the same as the facade, from the values alone
    pd.testing.assert_frame_equal(pred.predict(model, state, future), fc1)
    assert f.fitted_ is model and f.forecast_state_ is state
    assert_fitted_equal(model, snapshot)
    assert_state_equal(state, state_snapshot)

    f.update(newer)
    assert f.fitted_ is model  # same identity, same content
    assert_fitted_equal(model, snapshot)
    assert f.forecast_state_ is not state
    _assert_history_equal(state.history, state_snapshot.history)  # the old state is a value too
    _assert_frame_equal(state.ids, state_snapshot.ids)
    assert f.forecast_state_.origin == sales["date"].max()
    pd.testing.assert_frame_equal(pred.predict(model, state, future), fc1)  # the old state still predicts
    cold = pd.DataFrame(
        {"sku": "NEW", "store": "S00", "date": future["date"].unique(), "price": 2.0, "promo": 0}
    )
    before = f.forecast_state_
    assert len(f.forecast_ids(pd.concat([future, cold]))) == len(f.ids_) + 1
    assert f.forecast_state_ is before and len(f.ids_) == len(state.ids)  # cold starts extend a copy


def _assert_rows_equal(serving: pd.DataFrame, training: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        serving.reset_index(drop=True),
        training.reset_index(drop=True),
        check_exact=False,
        rtol=1e-6,
        atol=1e-6,
    )


def test_serving_rows_equal_training_rows_of_the_same_origin(fitted) -> None:
    """Train-vs-serve: what predict feeds the model at the last origin (the trimmed state, the future
    frame's covariates) equals Design.training_matrix at that origin on the full history."""
    f, sales, newer = fitted
    model = f.fitted_
    panel = Panel.from_frame(sales, dtype=np.float64)
    aligned = f.signal_store_.aligned(panel, stores=f.stores_)
    signals = {c: np.asarray(aligned[c], dtype=np.float64) for c in f.state_.signals}
    full = History.from_panel(panel, model.covariates, signals)
    assert list(panel.ids["sku"]) == list(f.ids_["sku"]) and list(panel.ids["store"]) == list(f.ids_["store"])
    origin = full.grid.get_loc(f.forecast_state_.origin)
    n = full.n_series
    p = np.repeat(full.indptr[:-1] + (origin - full.start_pos), HORIZON)
    h = np.tile(np.arange(1, HORIZON + 1), n)
    design = f.design_
    training = design.training_matrix(full, p, h, design.rolling(full))[list(model.feature_names)]
    serving = pred.feature_rows(model, f.forecast_state_, _future(newer))
    assert any(c.startswith("sig_") for c in serving.columns) and "promo" in "".join(serving.columns)
    _assert_rows_equal(serving, training)
    np.testing.assert_allclose(
        f.predict(_future(newer))["forecast"], model.model.predict(training), rtol=1e-9
    )


def test_a_save_from_before_the_split_still_loads(tmp_path) -> None:
    """Directories written before the fitted model and the state were split (no fit-time static block,
    no baseline forecast, no fitted horizon in meta.json) load, and predict as before."""
    import hashlib
    import json

    sales = constant_sales(n_days=60)
    f = Forecaster(horizon=HORIZON, model="snaive", verbose=False).fit(sales)
    root = f.save(tmp_path / "old")
    with np.load(root / "state.npz", allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files if not k.startswith("fstatic_") and k != "baseline_mean"}
    np.savez(root / "state.npz", **arrays)
    meta = json.loads((root / "meta.json").read_text())
    for key in ("fitted_static_columns", "design_leads", "horizon", "freq", "signal_report_columns"):
        meta.pop(key)
    meta["model"]["name"] = "snaive"
    meta["checksums"]["state.npz"] = hashlib.sha256((root / "state.npz").read_bytes()).hexdigest()
    meta["meta_checksum"] = persist._meta_digest(meta)
    (root / "meta.json").write_text(json.dumps(meta))
    loaded = Forecaster.load(root)
    assert loaded.fitted_.horizon == HORIZON and loaded.forecast_state_.baseline_mean is not None
    pd.testing.assert_frame_equal(loaded.predict(), f.predict())


@pytest.mark.parametrize("year", [None, 364])
def test_serving_rows_equal_training_rows_after_the_state_is_trimmed(year) -> None:
    """With more history than the state keeps, serving rows (the series' age and, with ``year``, the
    year-ago features included) still equal the training rows of the last origin on the full history."""
    from pullcast import FeatureSpec
    from pullcast.datasets import make_retail

    sales, _, _ = make_retail(n_skus=4, n_stores=2, n_days=520, seed=5, launches=0.5)
    older, newer = _split(sales)
    f = Forecaster(horizon=HORIZON, features=FeatureSpec(year=year), **FAST).fit(older)
    model, state = f.fitted_, f.forecast_state_
    assert state.history.lengths.max() < older.groupby(["sku", "store"]).size().max()  # trimmed
    panel = Panel.from_frame(sales, dtype=np.float64)
    full = History.from_panel(panel, model.covariates)
    n = full.n_series
    origin = full.grid.get_loc(state.origin)
    p = np.repeat(full.indptr[:-1] + (origin - full.start_pos), HORIZON)
    h = np.tile(np.arange(1, HORIZON + 1), n)
    training = f.design_.training_matrix(full, p, h, f.design_.rolling(full))[list(model.feature_names)]
    serving = pred.feature_rows(model, state, _future(newer))
    assert serving["age"].nunique() > 1  # launched series are younger than established ones
    if year:
        assert serving["y_year_ago"].notna().any() and serving["y_year_change"].notna().any()
    _assert_rows_equal(serving, training)


def test_year_ago_features_survive_save_and_load(tmp_path) -> None:
    """FeatureSpec(year=...) is part of the saved spec: a loaded forecaster builds the same rows."""
    from pullcast import FeatureSpec
    from pullcast.datasets import make_retail

    sales, _, _ = make_retail(n_skus=3, n_stores=2, n_days=420, seed=2)
    f = Forecaster(horizon=HORIZON, features=FeatureSpec(year=364, covariates=()), **FAST).fit(sales)
    loaded = Forecaster.load(f.save(tmp_path / "year"))
    assert loaded.fitted_.design.spec.year == 364 and "y_year_change" in loaded.feature_names_
    pd.testing.assert_frame_equal(loaded.predict(), f.predict())
