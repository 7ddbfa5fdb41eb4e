"""Save/load: safe formats, exact round trip, refusal of tampered or incompatible directories."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import constant_sales

from pullcast import FeatureSpec, Forecaster
from pullcast.errors import IncompatibleModelError
from pullcast.forecast.persist import _meta_digest

FAST = {"verbose": False, "max_rows": 20_000}


@pytest.fixture(scope="module")
def fitted() -> Forecaster:
    sales = constant_sales(n_days=100)
    cal = pd.DataFrame({"date": pd.date_range("2023-12-01", "2024-06-30"), "event": "none"})
    cal.loc[cal["date"].dt.day == 1, "event"] = "payday"
    return Forecaster(horizon=5, features=FeatureSpec(calendar=cal), **FAST).fit(sales)


def test_round_trip_predicts_exactly(fitted: Forecaster, tmp_path) -> None:
    fitted.save(tmp_path / "m")
    files = sorted(p.name for p in (tmp_path / "m").iterdir())
    assert files == ["calendar.npz", "meta.json", "model.txt", "state.npz"]
    loaded = Forecaster.load(tmp_path / "m")
    pd.testing.assert_frame_equal(loaded.predict(), fitted.predict())
    np.testing.assert_array_equal(loaded.sample_paths(50, seed=2), fitted.sample_paths(50, seed=2))
    meta = json.loads((tmp_path / "m" / "meta.json").read_text())
    assert meta["training_window"] == ["2024-01-01", "2024-04-09"]
    assert set(meta["checksums"]) == {"model.txt", "state.npz", "calendar.npz"}


def test_a_save_that_fails_midway_leaves_the_previous_save_loadable(
    fitted: Forecaster, tmp_path, monkeypatch
) -> None:
    """Files are written to a temporary directory first: a write that fails (here the calendar, after
    the model and the state) raises, leaves the earlier save in place and loadable, and no debris."""
    from pullcast.forecast import persist

    other = Forecaster(horizon=5, **FAST).fit(constant_sales(n_days=100, seed=9))
    other.save(tmp_path / "m")
    real_savez = np.savez

    def savez(path, **arrays):  # type: ignore[no-untyped-def]
        if str(path).endswith("calendar.npz"):
            raise OSError("disk full")
        real_savez(path, **arrays)

    monkeypatch.setattr(persist.np, "savez", savez)
    with pytest.raises(OSError, match="disk full"):
        fitted.save(tmp_path / "m")  # a different model, with a calendar
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]  # the temporary directory is gone
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["meta.json", "model.txt", "state.npz"]
    pd.testing.assert_frame_equal(Forecaster.load(tmp_path / "m").predict(), other.predict())
    fitted.save(tmp_path / "m")  # a save that succeeds replaces it whole
    pd.testing.assert_frame_equal(Forecaster.load(tmp_path / "m").predict(), fitted.predict())


def test_loaded_model_can_update(fitted: Forecaster, tmp_path) -> None:
    fitted.save(tmp_path / "m")
    loaded = Forecaster.load(tmp_path / "m")
    day = pd.DataFrame(
        {"sku": ["s0", "s1"], "store": "A", "date": pd.Timestamp("2024-04-10"), "units": [3, 4]}
    )
    fc = loaded.update(day).predict()
    assert fc.groupby("sku")["date"].min().loc["s0"] == pd.Timestamp("2024-04-11")


@pytest.mark.parametrize("victim", ["model.txt", "state.npz", "meta.json"])
def test_tampered_files_are_refused(fitted: Forecaster, tmp_path, victim: str) -> None:
    fitted.save(tmp_path / "m")
    path = tmp_path / "m" / victim
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(IncompatibleModelError):
        Forecaster.load(tmp_path / "m")


def test_incompatible_version_and_missing_files(fitted: Forecaster, tmp_path) -> None:
    fitted.save(tmp_path / "m")
    meta_path = tmp_path / "m" / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["params"]["horizon"] = 50
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(IncompatibleModelError, match="checksum"):
        Forecaster.load(tmp_path / "m")
    meta["params"]["horizon"] = 5
    meta["pullcast_version"] = "99.0.0"
    meta["meta_checksum"] = _meta_digest(meta)
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(IncompatibleModelError, match="99.0.0"):
        Forecaster.load(tmp_path / "m")
    (tmp_path / "m" / "meta.json").unlink()
    with pytest.raises(IncompatibleModelError, match="meta.json is missing"):
        Forecaster.load(tmp_path / "m")


def test_no_pickle_in_saved_arrays(fitted: Forecaster, tmp_path) -> None:
    fitted.save(tmp_path / "m")
    with np.load(tmp_path / "m" / "state.npz", allow_pickle=False) as npz:
        assert all(npz[k].dtype != object for k in npz.files)
