"""Forecaster: shape of outputs, quantile/path consistency, censoring, no look-ahead, update equivalence."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
from conftest import constant_sales

from pullcast import Columns, FeatureSpec, Forecaster
from pullcast.base import clone
from pullcast.errors import ColumnError, ConfigError, DataError, NotFittedError

FAST = {"verbose": False, "max_rows": 20_000}


def _split(frame: pd.DataFrame, days: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    cut = frame["date"].max() - pd.Timedelta(days=days)
    return frame[frame["date"] <= cut], frame[frame["date"] > cut]


def test_predict_contract_and_quantiles_do_not_cross() -> None:
    sales = constant_sales()
    f = Forecaster(horizon=7, quantiles=(0.9, 0.1, 0.5, 0.025), **FAST).fit(sales)
    fc = f.predict()
    assert list(fc.columns) == ["sku", "store", "date", "forecast", "p2.5", "p10", "p50", "p90"]
    assert len(fc) == 4 * 7
    assert fc["date"].min() == sales["date"].max() + pd.Timedelta(days=1)
    q = fc[["p2.5", "p10", "p50", "p90"]].to_numpy()
    assert np.all(np.diff(q, axis=1) >= 0)
    assert fc["forecast"].notna().all() and (fc["forecast"] >= 0).all()
    # the level is learnt: series i has mean about 10 * (1 + 0.2 i)
    means = fc.groupby("sku")["forecast"].mean().to_numpy()
    np.testing.assert_allclose(means, 10 * (1 + 0.2 * np.arange(4)), rtol=0.25)


def test_sample_paths_match_quantiles_and_order() -> None:
    sales = constant_sales()
    f = Forecaster(horizon=7, quantiles=(0.1, 0.5, 0.9), **FAST).fit(sales)
    fc = f.predict()
    paths = f.sample_paths(n=4000, seed=1)
    assert paths.shape == (4, 4000, 7)
    emp = np.quantile(paths, [0.1, 0.5, 0.9], axis=1, method="inverted_cdf")  # (3, series, h)
    pred = fc[["p10", "p50", "p90"]].to_numpy().reshape(4, 7, 3).transpose(2, 0, 1)
    assert np.mean(np.abs(emp - pred) <= 1.0) > 0.95
    np.testing.assert_allclose(paths.mean(axis=1), fc["forecast"].to_numpy().reshape(4, 7), rtol=0.1)
    assert list(f.ids_["sku"]) == ["s0", "s1", "s2", "s3"]


def test_censored_days_are_not_learnt_as_zero_demand() -> None:
    rng = np.random.default_rng(0)
    sales = constant_sales(n_series=3, n_days=150, level=10.0)
    out = rng.random(len(sales)) < 0.4
    sales["on_hand"] = np.where(out, 0.0, 50.0)
    sales.loc[out, "units"] = 0
    censored = Forecaster(horizon=7, **FAST).fit(sales).predict()
    naive = Forecaster(horizon=7, **FAST).fit(sales.drop(columns="on_hand")).predict()
    true_level = 10 * (1 + 0.2 * np.arange(3)).mean()
    assert censored["forecast"].mean() == pytest.approx(true_level, rel=0.2)
    assert naive["forecast"].mean() < 0.8 * true_level  # the zeros drag an uncensored model down


def test_covariates_require_future_and_name_what_is_missing() -> None:
    sales = constant_sales()
    sales["price"] = 2.0
    history, future = _split(sales, 7)
    f = Forecaster(horizon=7, **FAST).fit(history)
    assert f.covariates_ == ("price",)
    with pytest.raises(ColumnError, match=r"known-ahead covariates \['price'\]"):
        f.predict()
    with pytest.raises(ColumnError, match=r"missing column\(s\) \['price'\]"):
        f.predict(future.drop(columns="price"))
    with pytest.raises(DataError, match=r"lacks values.*sku='s0'"):
        f.predict(future.iloc[1:])
    assert len(f.predict(future)) == 28


def test_errors_and_estimator_contract() -> None:
    f = Forecaster(horizon=7, **FAST)
    with pytest.raises(NotFittedError):
        f.predict()
    with pytest.raises(ConfigError, match="horizon"):
        Forecaster(horizon=0).fit(constant_sales())
    with pytest.raises(ConfigError, match="not enough history"):
        Forecaster(horizon=60, **FAST).fit(constant_sales(n_days=100))
    g = clone(Forecaster(horizon=5, seed=3))
    assert g.get_params()["horizon"] == 5 and g.get_params()["seed"] == 3
    assert "horizon=5" in repr(g)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"seed": -1}, "seed must be an integer >= 0"),
        ({"seed": 1.5}, "seed must be an integer >= 0"),
        ({"max_rows": 0}, "max_rows must be an integer >= 100"),
        ({"max_rows": None}, "max_rows must be an integer >= 100"),  # training has no row-less mode
        ({"train_window": 0}, "train_window must be None or a positive integer"),
        ({"quantiles": (0.5, 1.5)}, r"quantiles must lie strictly between 0 and 1, got \[1.5\]"),
    ],
)
def test_bad_parameters_raise_config_errors_before_any_work(params, match) -> None:
    with pytest.raises(ConfigError, match=match):
        Forecaster(horizon=7, verbose=False, **params).fit(constant_sales())


def test_frames_that_cannot_be_learnt_from_raise_typed_errors() -> None:
    sales = constant_sales()
    with pytest.raises(DataError, match="every unit in the sales frame is zero"):
        Forecaster(horizon=7, **FAST).fit(sales.assign(units=0.0))
    assert len(Forecaster(horizon=7, model="naive", verbose=False).fit(sales.assign(units=0.0)).predict())
    with pytest.raises(ColumnError, match="more than one column named 'units'"):
        Forecaster(horizon=7, **FAST).fit(pd.concat([sales, sales[["units"]]], axis=1))
    with pytest.raises(ColumnError, match=r"'units' \(renamed from 'sales' by columns=\)"):
        Forecaster(horizon=7, columns=Columns(units="sales"), **FAST).fit(sales.assign(sales=1.0))


def test_final_model_is_the_held_out_fit_unless_refit_final(retail, monkeypatch) -> None:
    """The default keeps the early-stopped held-out fit as the final model (one LightGBM fit with the
    gate off); ``refit_final=True`` fits a second model on every origin with its round count.
    Calibration comes from the held-out fit in both."""
    from pullcast.models.lgbm import GlobalLGBM

    fits: list[tuple[int, bool]] = []
    original = GlobalLGBM.fit

    def counted(self, X, y, *, valid=None):  # type: ignore[no-untyped-def]
        fits.append((len(X), valid is not None))
        return original(self, X, y, valid=valid)

    monkeypatch.setattr(GlobalLGBM, "fit", counted)
    sales = retail[0].drop(columns=["price", "promo"])
    kw = {"horizon": 7, "signal_gate": None, **FAST}
    held = Forecaster(**kw).fit(sales)
    assert [v for _, v in fits] == [True]
    refit = Forecaster(refit_final=True, **kw).fit(sales)
    assert [v for _, v in fits] == [True, True, False]
    assert fits[2][0] > fits[1][0]  # the refit's origins include the held-out ones
    rounds = held.fitted_.model.best_iteration_
    assert rounds < held.fitted_.model.n_estimators  # stopped early on the held-out rows
    assert refit.fitted_.model.booster_.current_iteration() == max(rounds, 10)
    np.testing.assert_array_equal(held.fitted_.distribution.alpha, refit.fitted_.distribution.alpha)
    assert held.fitted_.distribution.scale == refit.fitted_.distribution.scale
    assert not np.allclose(held.predict()["forecast"], refit.predict()["forecast"])
    with pytest.raises(ConfigError, match="refit_final"):
        Forecaster(refit_final="yes", **kw).fit(sales)


def test_renamed_columns_round_trip() -> None:
    sales = constant_sales().rename(columns={"sku": "item", "store": "shop", "units": "qty"})
    cols = Columns(sku="item", store="shop", units="qty")
    fc = Forecaster(horizon=3, columns=cols, **FAST).fit(sales).predict()
    assert list(fc.columns[:4]) == ["item", "shop", "date", "forecast"]


def test_features_do_not_see_after_the_origin() -> None:
    """Perturbing every value after an origin leaves the features of that origin's rows unchanged."""
    from pullcast.features import Design, History, StaticBlock
    from pullcast.panel import Panel

    sales = constant_sales(n_series=3, n_days=90)
    panel = Panel.from_frame(sales, dtype=np.float64)
    rng = np.random.default_rng(0)
    signal = rng.random(panel.values().size)
    hist = History.from_panel(panel, (), {"search": signal})
    design = Design(FeatureSpec(), (), {"search": 3}, StaticBlock.fit(panel.ids))
    p = np.array([panel.indptr[1] + 60, panel.indptr[2] + 40])
    h = np.array([5, 2])
    before = design.training_matrix(hist, p, h, design.rolling(hist))
    for origin in p:
        end = panel.indptr[hist.series_of(np.array([origin]))[0] + 1]
        hist.y[origin + 1 : end] = rng.random(end - origin - 1) * 1000
        hist.signals["search"][origin + 1 : end] = rng.random(end - origin - 1) * 1000
    after = design.training_matrix(hist, p, h, design.rolling(hist))
    pd.testing.assert_frame_equal(before, after)
    assert {"sig_search_lead", "sig_search_lead_mean_lr", "y_season_mean_4", "y_lag_1"} <= set(before.columns)


def test_year_ago_features_match_a_loop_and_never_pass_the_origin() -> None:
    """FeatureSpec(year=...): each year-ago mean equals a plain loop over the series (NaN days and the
    series start skipped), the target window stops at the origin for horizons close to a year, and
    values after the origin change nothing."""
    from pullcast.features import Design, History, StaticBlock
    from pullcast.panel import Panel

    year, width = 364, 28
    sales = constant_sales(n_series=2, n_days=800)
    panel = Panel.from_frame(sales, dtype=np.float64)
    hist = History.from_panel(panel, ())
    hist.y[np.random.default_rng(1).random(hist.y.size) < 0.05] = np.nan  # stockout days: unknown demand
    design = Design(FeatureSpec(year=year), (), {}, StaticBlock.fit(panel.ids))
    p = panel.indptr[:-1].repeat(4) + np.array([700, 380, 420, 600] * 2)
    h = np.array([1, 28, 355, 100] * 2)
    before = design.training_matrix(hist, p, h, design.rolling(hist))
    for i, (origin, horizon) in enumerate(zip(p, h, strict=True)):
        first = panel.indptr[hist.series_of(np.array([origin]))[0]]

        def mean(end: int, first: int = first) -> float:
            days = [hist.y[q] for q in range(max(end - width + 1, first), end + 1) if q >= first]
            days = [d for d in days if not np.isnan(d)]
            return float(np.mean(days)) if days else np.nan

        at_target = mean(min(origin + horizon - year + width // 2, origin))
        at_origin = mean(origin - year)
        row = before.iloc[i]
        np.testing.assert_allclose(row["y_year_ago"], at_target, rtol=1e-6)
        np.testing.assert_allclose(row["y_year_ago_base"], at_origin, rtol=1e-6)
        np.testing.assert_allclose(row["y_year_change"], np.log1p(at_target) - np.log1p(at_origin), rtol=1e-5)
    assert before["y_year_ago_base"].isna().sum() == 0 and before["y_year_ago"].notna().all()
    rng = np.random.default_rng(0)
    for i, origin in enumerate(p):  # one row at a time: another row's origin may lie after this one
        changed = copy.deepcopy(hist)
        end = panel.indptr[hist.series_of(p[i : i + 1])[0] + 1]
        changed.y[origin + 1 : end] = rng.random(end - origin - 1) * 1000
        after = design.training_matrix(changed, p[i : i + 1], h[i : i + 1], design.rolling(changed))
        pd.testing.assert_frame_equal(before.iloc[i : i + 1].reset_index(drop=True), after)
    with pytest.raises(ConfigError, match="year"):
        FeatureSpec(year=7)


def test_update_equals_fit_with_frozen_model(retail) -> None:
    sales, _events, _stores = retail
    sales = sales.drop(columns=["price", "promo"])
    older, newer = _split(sales, 4)
    full = Forecaster(horizon=7, **FAST).fit(sales)
    expected = full.predict()
    # the same trained model, given the history up to 4 days ago and then the last 4 days
    step = clone(full)
    step.__dict__.update({k: v for k, v in full.__dict__.items() if k.endswith("_")})
    step.refresh(older)
    step.update(newer.iloc[: len(newer) // 2])
    step.update(newer.iloc[len(newer) // 2 :])
    got = step.predict()
    np.testing.assert_allclose(got["forecast"], expected["forecast"], rtol=0, atol=1e-9)
    pd.testing.assert_frame_equal(got, expected)


def test_update_rejects_rows_before_the_origin(retail) -> None:
    sales = retail[0].drop(columns=["price", "promo"])
    f = Forecaster(horizon=7, **FAST).fit(sales)
    with pytest.raises(DataError, match="after each series' last known day"):
        f.update(sales[sales["date"] == sales["date"].max()])


def test_predict_and_sample_paths_have_no_side_effects(retail) -> None:
    sales = retail[0].drop(columns=["price", "promo"])
    f = Forecaster(horizon=7, **FAST).fit(sales)
    before = dict(vars(f))
    paths_first = f.sample_paths(200, seed=4)  # before any predict
    fc1 = f.predict()
    fc2 = f.predict()
    paths_after = f.sample_paths(200, seed=4)
    assert dict(vars(f)).keys() == before.keys()
    assert all(vars(f)[k] is v for k, v in before.items())  # nothing rebound, nothing added
    pd.testing.assert_frame_equal(fc1, fc2)
    np.testing.assert_array_equal(paths_first, paths_after)
    assert paths_first.shape == (len(f.forecast_ids()), 200, 7)
    np.testing.assert_allclose(paths_first.mean(axis=1).ravel(), fc1["forecast"], rtol=0.3, atol=0.5)


def test_serving_rows_equal_training_rows_of_the_last_origin(retail) -> None:
    """Train-vs-serve: the rows predict builds from the trimmed state equal the training-time rows
    (full history, full rolling features) of the same origins."""
    from pullcast.features import History
    from pullcast.forecast.predict import target_dates
    from pullcast.panel import Panel

    sales, events, stores = retail
    sales = sales.drop(columns=["price", "promo"])
    f = Forecaster(horizon=7, signal_gate=None, **FAST).fit(sales, events, stores)
    panel = Panel.from_frame(sales, dtype=np.float64)
    aligned = f.signal_store_.aligned(panel, stores=f.stores_)
    signals = {c: np.asarray(aligned[c], dtype=np.float64) for c in f.state_.signals}
    full = History.from_panel(panel, (), signals)
    design = f.design_
    series = np.repeat(np.arange(full.n_series), 7)
    p = full.last_positions()[series]
    h = np.tile(np.arange(1, 8), full.n_series)
    dates = target_dates(f.fitted_, f.state_)
    training = design.matrix(
        full, p, h, rolling=design.rolling(full), rolling_at=p, target_dates=dates, target_cov={}
    )
    serving = design.forecast_matrix(f.state_, 7, dates, {})
    assert any(c.startswith("sig_") for c in serving.columns)
    pd.testing.assert_frame_equal(serving, training, check_exact=False, rtol=1e-6, atol=1e-6)
