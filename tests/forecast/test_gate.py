"""The signal gate's evidence: the paired test against a statsmodels twin, the folds, the decisions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from pullcast.errors import ConfigError
from pullcast.forecast.gate import gate_channels, gate_folds, paired_evidence

errors_strategy = st.lists(st.tuples(st.floats(1.0, 1e4), st.floats(0.5, 1.5)), min_size=3, max_size=60)


@settings(max_examples=60, deadline=None)
@given(errors_strategy)
def test_paired_evidence_matches_a_weighted_least_squares_twin(pairs) -> None:
    import statsmodels.api as sm

    e0 = np.array([a for a, _ in pairs])
    e1 = np.array([a * r for a, r in pairs])
    ev = paired_evidence(e0, e1)
    # FVA = sum(d) / sum(e0) is the WLS mean of d/e0 with weights e0; its HC1 error is the clustered one
    fit = sm.WLS((e0 - e1) / e0, np.ones_like(e0), weights=e0).fit(cov_type="HC1")
    assert ev.fva == pytest.approx(1.0 - e1.sum() / e0.sum(), rel=1e-9, abs=1e-12)
    assert ev.fva == pytest.approx(float(fit.params[0]), rel=1e-9, abs=1e-12)
    if fit.bse[0] > 1e-12:
        assert ev.se == pytest.approx(float(fit.bse[0]), rel=1e-6)
        t = float(fit.params[0] / fit.bse[0])
        assert ev.p_value == pytest.approx(float(stats.t.sf(t, e0.size - 1)), rel=1e-6, abs=1e-12)
        low, high = ev.interval(0.9)
        q = stats.t.ppf(0.95, e0.size - 1)
        assert (low, high) == pytest.approx((ev.fva - q * ev.se, ev.fva + q * ev.se))


def test_paired_evidence_is_one_sided_and_checks_shapes() -> None:
    rng = np.random.default_rng(0)
    e0 = rng.uniform(50, 150, 40)
    better = paired_evidence(e0, e0 * rng.uniform(0.85, 0.95, 40))
    worse = paired_evidence(e0, e0 * rng.uniform(1.05, 1.15, 40))
    assert better.fva > 0.05 and better.p_value < 1e-6
    assert worse.fva < 0 and worse.p_value > 0.99
    with pytest.raises(ConfigError, match="per-cluster"):
        paired_evidence(e0, e0[:-1])


def test_gate_folds_step_back_by_the_horizon_and_stop_before_the_start() -> None:
    folds = gate_folds(last=300, horizon=28, lo=0, folds=3, width=7)
    assert folds == [(266, 300), (238, 272), (210, 244)]
    assert gate_folds(last=100, horizon=28, lo=0, folds=3, width=7) == [(66, 100), (38, 72)]
    assert gate_folds(last=60, horizon=28, lo=0, folds=3, width=7) == []


def _gate(effects: dict[str, float], seed: int, *, gate: float = 0.01, refit_gain: bool = True):
    """gate_channels on simulated per-cluster errors: a channel's columns shrink the error by its effect
    when they are trained on and not scrambled. ``refit_gain=False``: a model trained on a subset of the
    channels gains nothing (what the joint model credited them with does not survive a refit)."""
    rng = np.random.default_rng(seed)
    e0 = rng.gamma(4.0, 25.0, 40)
    cols = ["y_lag_1"] + [f"sig_{c}_level" for c in effects]
    calls: list[tuple] = []

    def errors(scenario) -> np.ndarray:
        chosen, scrambled = scenario
        calls.append(scenario)
        live = [c for c in effects if f"sig_{c}_level" in chosen and f"sig_{c}_level" not in scrambled]
        subset = 1 < len(chosen) < len(cols) - 1  # neither no-signal nor every live channel
        gain = sum(effects[c] for c in live) if refit_gain or not subset else 0.0
        noise = rng.normal(0.0, 0.01, e0.size) if len(chosen) > 1 else 0.0
        return e0 * (1.0 - gain + noise)

    kept, report = gate_channels(
        list(effects),
        cols,
        lambda scenarios: [errors(s) for s in scenarios],
        gate=gate,
        leads={},
        total_y=float(e0.sum() * 2),
        silent=["dead"],
    )
    return kept, report, calls


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gate_keeps_what_helps_and_drops_noise_and_dead_channels(seed) -> None:
    kept, report, calls = _gate({"planted": 0.05, "noise": 0.0, "dead": 0.0}, seed)
    assert kept == ["planted"]
    # two column sets per fold whatever the channels (no-signal, joint), plus the kept set's own check
    assert len({cols for cols, _ in calls}) == 3
    assert all(("sig_dead_level" not in cols) for cols, _ in calls)
    row = report.set_index("channel")
    assert row.loc["planted", "fva_low"] > 0.01 and row.loc["planted", "p_holm"] < 0.05
    assert abs(row.loc["noise", "fva"]) < 0.01
    assert "no values reached" in row.loc["dead", "reason"]
    assert list(report["channel"]) == ["planted", "noise", "dead"]
    np.testing.assert_allclose(
        row["wape_with"].iloc[:2], row["wape_without"].iloc[:2] * (1 - row["fva"].iloc[:2])
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_materiality_is_judged_on_the_kept_set(seed) -> None:
    # "tiny" is significant on its own but together with nothing else brings less than the gate
    kept, report, _ = _gate({"tiny": 0.008, "noise": 0.0, "dead": 0.0}, seed)
    assert kept == []
    assert report.set_index("channel").loc["tiny", "p_holm"] < 0.05
    assert report["reason"].str.contains("together").sum() == 3
    # with a material partner it stays in: the set clears the gate
    kept, _, _ = _gate({"planted": 0.05, "tiny": 0.008, "noise": 0.0, "dead": 0.0}, seed)
    assert kept == ["planted", "tiny"]


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_on_make_retail_planted_channels_are_kept_and_noise_is_dropped(seed) -> None:
    import pullcast as pc

    found = {}
    for strength in (0.0, 2.0):  # 0: the channels follow a pull that demand ignores
        sales, events, stores = pc.make_retail(
            n_skus=16, n_stores=3, n_days=300, seed=seed, signal_strength=strength
        )
        f = pc.Forecaster(horizon=7, verbose=False, max_rows=20_000).fit(sales, signals=events, stores=stores)
        found[strength] = f.signal_report_.set_index("channel")
    noise, planted = found[0.0], found[2.0]
    assert not noise["kept"].any(), noise[["fva", "p_holm", "reason"]]
    kept = planted[planted["kept"]]
    assert {"search", "social"} & set(kept.index), planted[["fva", "p_holm", "reason"]]
    assert (kept["fva_low"] > 0).all() and (kept["p_holm"] < 0.05).all()
    kept_cols = [c for c in f.feature_names_ if c.startswith("sig_")]
    assert kept_cols and all(c.startswith(tuple(f"sig_{k}_" for k in kept.index)) for c in kept_cols)


def test_joint_check_drops_channels_that_do_not_beat_no_signal_together() -> None:
    # "planted" helps inside the joint model, but a model trained on it alone does not beat no signals
    kept, report, calls = _gate({"planted": 0.05, "noise": 0.0, "dead": 0.0}, 0, refit_gain=False)
    assert kept == []
    assert not report["kept"].any() and report["reason"].str.contains("together").all()
    kept, _, _ = _gate({"planted": 0.05, "noise": 0.0, "dead": 0.0}, 0, refit_gain=True)
    assert kept == ["planted"]


def test_gate_clusters_by_sku_or_by_sku_and_region_when_few_skus() -> None:
    from pullcast.forecast.training import GATE_MIN_CLUSTERS, gate_clusters

    many = pd.DataFrame(
        {
            "sku": np.repeat(np.arange(GATE_MIN_CLUSTERS), 3),
            "store": np.tile(["a", "b", "c"], GATE_MIN_CLUSTERS),
        }
    )
    np.testing.assert_array_equal(gate_clusters(many, None), np.repeat(np.arange(GATE_MIN_CLUSTERS), 3))
    one = pd.DataFrame({"sku": ["x"] * 4, "store": ["a", "b", "c", "d"]})
    stores = pd.DataFrame({"store": ["d", "c", "b", "a"], "region": ["R2", "R1", "R2", "R1"]})
    codes = gate_clusters(one, stores)
    assert codes[0] == codes[2] and codes[1] == codes[3] and codes[0] != codes[1]  # a, c in R1; b, d in R2
    np.testing.assert_array_equal(gate_clusters(one, None), np.arange(4))
