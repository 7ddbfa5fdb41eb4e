"""Pieces of the distributed path that need no cluster: SKU hashing, per-round losses, dispersion sums."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pullcast.distributed import _boost, _calibrate
from pullcast.distributed._io import part_of_sku
from pullcast.forecast.distribution import fit_distribution
from pullcast.models.lgbm import GlobalLGBM, _import_lightgbm


@given(st.lists(st.text(min_size=1, max_size=6), min_size=1, max_size=40), st.integers(1, 9))
@settings(max_examples=50, deadline=None)
def test_part_of_sku_depends_only_on_the_sku(skus: list[str], n: int) -> None:
    s = pd.Series(skus, dtype=object)
    parts = part_of_sku(s, n)
    assert parts.min() >= 0 and parts.max() < n
    # the same SKU gets the same partition whatever the order, the frame or the string dtype
    perm = np.random.default_rng(0).permutation(len(s))
    again = part_of_sku(pd.Series(s.to_numpy()[perm], dtype="string"), n)
    np.testing.assert_array_equal(again, parts[perm])
    one_by_one = [int(part_of_sku(pd.Series([v], dtype=object), n)[0]) for v in skus]
    np.testing.assert_array_equal(parts, one_by_one)


def _small_regression(seed: int) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = 3000
    X = pd.DataFrame({"a": rng.random(n), "b": rng.integers(0, 7, n).astype(float), "c": rng.normal(size=n)})
    lam = np.exp(0.5 + X["a"] + 0.2 * X["b"] - 0.3 * X["c"] ** 2)
    y = rng.poisson(lam).astype(float)
    return X.iloc[:2000], y[:2000], X.iloc[2000:], y[2000:]


def _rounds_reference(booster: object, X: pd.DataFrame, y: np.ndarray, n: int, power: float) -> np.ndarray:
    """Slow twin: the tweedie metric of booster.predict at every round count (LightGBM's formula)."""
    out = np.zeros(n)
    for k in range(1, n + 1):
        mu = np.maximum(booster.predict(X, num_iteration=k), 1e-10)  # type: ignore[attr-defined]
        out[k - 1] = np.sum(-y * mu ** (1 - power) / (1 - power) + mu ** (2 - power) / (2 - power))
    return out


@pytest.mark.parametrize("seed", [0, 1])
def test_round_losses_match_booster_predictions_and_early_stopping(seed: int) -> None:
    lgb = _import_lightgbm()
    X_tr, y_tr, X_va, y_va = _small_regression(seed)
    model = GlobalLGBM(n_estimators=80, num_leaves=7, min_data_in_leaf=20, seed=seed)
    params = model.lgb_params()
    full = lgb.train(params, lgb.Dataset(X_tr, label=y_tr), num_boost_round=80)
    leaves = _boost.leaf_values(full)
    assert len(leaves) == 80

    class _Part:  # the attributes round_losses reads
        frames = {"va": X_va.assign(**{"__target": y_va})}

    got = _boost.round_losses(_Part(), full, leaves, list(X_va.columns), params)  # type: ignore[arg-type]
    assert got is not None
    want = _rounds_reference(full, X_va, y_va, 80, 1.1)
    np.testing.assert_allclose(got["loss"], want, rtol=1e-9)
    mu_20 = full.predict(X_va, num_iteration=20)
    np.testing.assert_allclose(got["abs_err"][19], np.abs(y_va - mu_20).sum(), rtol=1e-9)
    # the round count picked equals LightGBM's own early stopping on the same validation rows
    fitted = GlobalLGBM(
        n_estimators=80, num_leaves=7, min_data_in_leaf=20, early_stopping_rounds=10, seed=seed
    )
    fitted.fit(X_tr, y_tr, valid=(X_va, y_va))
    assert _boost.best_round(got["loss"], 10) == fitted.best_iteration_


def test_best_round_follows_the_early_stopping_rule() -> None:
    # improvement at round 3, then 4 rounds without: stops after 3 + patience
    losses = np.array([5.0, 4.0, 3.0, 3.5, 3.2, 3.1, 3.0, 1.0])
    assert _boost.best_round(losses, 4) == 3
    assert _boost.best_round(losses, 5) == 8


def _valid_rows(seed: int, n_series: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    horizon = 5
    series = np.repeat(np.arange(n_series), 3 * horizon)
    origin = np.repeat(np.arange(n_series * 3), horizon)
    h = np.tile(np.arange(1, horizon + 1), n_series * 3)
    mu = rng.gamma(2.0, 2.0, n_series)[series] * rng.uniform(0.8, 1.2, series.size)
    y = rng.negative_binomial(2.0, 2.0 / (2.0 + mu)).astype(float)
    return {"y": y, "mu": mu, "series": series, "path_key": origin * (horizon + 1) + h}


@given(st.integers(0, 10_000), st.integers(2, 30), st.integers(1, 4))
@settings(max_examples=25, deadline=None)
def test_partitioned_dispersion_equals_fit_distribution(seed: int, n_series: int, n_parts: int) -> None:
    v = _valid_rows(seed, n_series)
    ref = fit_distribution(
        v["y"],
        v["mu"],
        v["series"],
        n_series,
        path_key=v["path_key"],
        coverage=None,
        rng=np.random.default_rng([seed, 0]),
    )
    # split the series over partitions, renumbering them locally as the workers do
    owner = np.random.default_rng(seed).integers(0, n_parts, n_series)
    parts, local_ids = [], []
    for k in range(n_parts):
        mine = np.flatnonzero(owner == k)
        if mine.size == 0:
            continue
        local = np.full(n_series, -1)
        local[mine] = np.arange(mine.size)
        rows = np.isin(v["series"], mine)
        parts.append(
            {
                "y": v["y"][rows],
                "mu": v["mu"][rows],
                "series": local[v["series"][rows]],
                "path_key": v["path_key"][rows],
                "n_series": np.array([mine.size]),
            }
        )
        local_ids.append(mine)
    mom = [_calibrate.moments(p) for p in parts]
    summ = [_calibrate.moment_summary(m) for m in mom]
    num = sum(s["num"] for s in summ if s)
    den = sum(s["den"] for s in summ if s)
    pooled = float(np.clip(num / den, _calibrate._ALPHA_MIN, _calibrate._ALPHA_MAX))
    kappa = float(np.median(np.concatenate([s["den_pos"] for s in summ if s])))
    alpha = np.empty(n_series)
    for ids, m in zip(local_ids, mom, strict=True):
        a = _calibrate.alpha_of(m, pooled, kappa)
        assert a is not None
        alpha[ids] = a
    np.testing.assert_allclose(alpha, ref.alpha, rtol=1e-12)
    if len(parts) == 1:  # same random draws as fit_distribution: the same correlation
        sums = _calibrate.pair_sums(parts[0], alpha[local_ids[0]], (seed, 0))
        assert sums is not None
        assert _calibrate.rho_from_sums(sums) == pytest.approx(ref.rho, abs=1e-9)


def test_rho_from_sums_is_pearson() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=500)
    w = 0.6 * x + 0.8 * rng.normal(size=500)
    sums = np.array([x.size, x.sum(), w.sum(), (x * x).sum(), (w * w).sum(), (x * w).sum()])
    assert _calibrate.rho_from_sums(sums) == pytest.approx(np.corrcoef(x, w)[0, 1], rel=1e-12)
    assert _calibrate.rho_from_sums(np.array([10.0, 1, 1, 1, 1, 1])) == 0.0


def test_search_scale_widens_too_narrow_intervals() -> None:
    rng = np.random.default_rng(2)
    mu = np.full(4000, 5.0)
    y = rng.negative_binomial(1.0, 1.0 / (1.0 + mu)).astype(float)  # true alpha = 1
    scale = _calibrate.search_scale(y, mu, np.full(y.size, 0.1), 0.8)
    assert 5.0 < scale < 20.0  # 0.1 * scale close to the true dispersion 1


def test_partitioned_leads_equal_discover_leads() -> None:
    from pullcast.datasets import make_retail
    from pullcast.distributed._leads import combine_leads
    from pullcast.forecast.training import discover_leads, max_lead
    from pullcast.panel import Panel
    from pullcast.signals import SignalStore, lead_statistics

    sales, events, stores = make_retail(n_skus=9, n_stores=2, n_days=150, seed=4, signal_strength=2.0)

    def aligned_of(s: pd.DataFrame, e: pd.DataFrame) -> tuple[Panel, dict[str, np.ndarray]]:
        panel = Panel.from_frame(s, dtype=np.float64)
        store = SignalStore(stores=stores)
        store.append(e)
        return panel, {k: np.array(v) for k, v in sorted(store.aligned(panel, stores=stores).items())}

    panel, aligned = aligned_of(sales, events)
    want = discover_leads(panel, aligned, 14)
    assert any(v > 0 for v in want.values())  # the test data has a lead to find
    grid = panel.dates.grid
    parts = []
    for k in range(3):
        mine = part_of_sku(sales["sku"], 3) == k
        p, a = aligned_of(sales[mine], events[part_of_sku(events["sku"], 3) == k])
        parts.append((int(grid.get_loc(p.dates.grid[0])), lead_statistics(p, a, max_lead=max_lead(14))))
    assert combine_leads(parts, len(grid)) == want


def test_config_errors_before_any_work() -> None:
    from pullcast.distributed import DaskForecaster
    from pullcast.errors import ConfigError

    sales = pd.DataFrame({"sku": ["a"], "store": ["s"], "date": ["2024-01-01"], "units": [1.0]})
    with pytest.raises(ConfigError, match="global LightGBM model only"):
        DaskForecaster(object(), model="naive").fit(sales)
    with pytest.raises(ConfigError, match="horizon"):
        DaskForecaster(object(), horizon=0).fit(sales)
    pytest.importorskip("dask.dataframe")
    with pytest.raises(ConfigError, match="needs client="):
        DaskForecaster(None).fit(sales)
