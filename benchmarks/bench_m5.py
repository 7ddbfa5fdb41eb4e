"""M5 subset (TX_3 x FOODS_3, 823 series): pullcast's Forecaster against the baselines, WRMSSE/WAPE/pinball.

Train through d_1913 (d_1913 := d_1906, the same weekday a week earlier), forecast d_1914..d_1941 and
score with the level-12 weights of ``m5_wrmsse_reference`` renormalised over these 823 series. The
official M5 calendar (events, SNAP days for Texas) is the FeatureSpec calendar; there are no prices.
Leading zeros before a product's first sale are dropped (the product was not on sale yet).

Reference points measured on this exact split (issue 4): seasonal naive 1.093, SBA 0.887, TSB 0.884,
statsforecast AutoETS 0.879, mlforecast + LightGBM 0.852. Published full-M5 figures for orientation
(Makridakis et al. 2022): level 12 seasonal naive 1.176, SBA 0.919, ES_bu 0.915, winner 0.884.

Usage: ``python -m benchmarks m5 [--baselines snaive,sba,tsb,ets] [--max-rows N] [--trees N]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from benchmarks._common import data_folder, markdown_table, missing_data, peak_rss_mb, write_results
from benchmarks.bench_m5_baselines import HORIZON, MODEL_PARAMS, REFERENCE, load

REFERENCE = {**REFERENCE, "mlforecast_lgbm": 0.852}
CANDIDATES: list[dict[str, object]] = [
    {"ids": True, "lr": 0.03, "leaves": 127},
    {"ids": False, "lr": 0.05, "leaves": 63},
]


def wrmsse_of(cv: pd.DataFrame, train: pd.DataFrame, weights: pd.DataFrame) -> float:
    from pullcast.metrics import wrmsse

    return float(wrmsse(cv, train, weights))


def m5_calendar(folder) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    cal = pd.read_csv(folder / "calendar.csv.gz")
    cal["date"] = pd.to_datetime(cal["date"])
    keep = ["date", "event_name_1", "event_type_1", "event_name_2", "snap_TX"]
    out = cal[keep].copy()
    # the days just before an event matter for FOODS (shopping ahead): days until the next event
    has_event = out["event_name_1"].notna().to_numpy()
    nxt = np.full(len(out), np.nan)
    upcoming = np.nan
    for i in range(len(out) - 1, -1, -1):
        upcoming = 0 if has_event[i] else upcoming + 1
        nxt[i] = upcoming
    out["days_to_event"] = np.minimum(nxt, 14)
    return out


def score(cv: pd.DataFrame, train: pd.DataFrame, weights: pd.DataFrame) -> dict[str, float]:
    from pullcast.metrics import coverage, pinball, wape, wrmsse

    out = {"wrmsse": wrmsse(cv, train, weights), "wape": wape(cv)}
    if "p10" in cv:
        out["pinball_p10"] = pinball(cv, "p10")
        out["pinball_p50"] = pinball(cv, "p50")
        out["pinball_p90"] = pinball(cv, "p90")
        out["coverage_p10_p90"] = coverage(cv, "p10", "p90")
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks m5")
    parser.add_argument("--baselines", default="snaive,sba,tsb,ets")
    parser.add_argument("--max-rows", type=int, default=3_000_000)
    parser.add_argument("--trees", type=int, default=600)
    parser.add_argument("--train-window", type=int, default=730)
    parser.add_argument(
        "--select",
        action="store_true",
        help="pick the configuration by a backtest on the 28 days before the evaluation window",
    )
    args = parser.parse_args(argv)
    folder, ref = data_folder("m5_tx3_foods3"), data_folder("m5_wrmsse_reference")
    if folder is None or ref is None:
        print(f"skipped: {missing_data('m5_tx3_foods3' if folder is None else 'm5_wrmsse_reference')}")
        return 0

    import pullcast as pc
    from pullcast.models import get_model
    from pullcast.models.lgbm import GlobalLGBM

    train, actual, weights, _ = load(folder, ref)
    n_series = weights.shape[0]
    rows: list[dict[str, object]] = []
    y = train["units"].to_numpy()
    indptr = np.arange(n_series + 1, dtype=np.int64) * 1913
    for name in [m for m in args.baselines.split(",") if m]:
        t0 = time.perf_counter()
        pred = get_model(name, **MODEL_PARAMS.get(name, {})).fit(y, indptr).predict(HORIZON)
        cv = actual.assign(forecast=pred.ravel())
        rows.append(
            {
                "model": name,
                **score(cv, train, weights),
                "reference": REFERENCE.get(name, np.nan),
                "seconds": time.perf_counter() - t0,
            }
        )
        print(markdown_table(rows[-1:]), flush=True)

    started = train.groupby("sku")["units"].transform(lambda s: s.gt(0).cummax())
    trimmed = train[started.to_numpy(dtype=bool)]
    calendar = m5_calendar(folder)

    def make(config: dict[str, object]) -> pc.Forecaster:
        spec = pc.FeatureSpec(calendar=calendar, ids_as_categories=bool(config["ids"]))
        model = GlobalLGBM(
            n_estimators=args.trees,
            learning_rate=float(config["lr"]),  # type: ignore[arg-type]
            num_leaves=int(config["leaves"]),  # type: ignore[call-overload]
            min_data_in_leaf=100,
        )
        return pc.Forecaster(
            horizon=HORIZON,
            features=spec,
            model=model,
            max_rows=args.max_rows,
            train_window=args.train_window,
            seed=0,
            verbose=False,
        )

    chosen = CANDIDATES[0]
    selection = []
    if args.select:
        # choose the configuration on the 28 days BEFORE the evaluation window (never on the window itself)
        for config in CANDIDATES:
            t0 = time.perf_counter()
            cv = pc.backtest(make(config), trimmed, n_windows=1, horizon=HORIZON)
            past = trimmed[trimmed["date"] <= cv["cutoff"].iloc[0]]
            selection.append(
                {
                    **config,
                    "wrmsse_selection_window": wrmsse_of(cv, past, weights),
                    "seconds": time.perf_counter() - t0,
                }
            )
            print(markdown_table(selection[-1:]), flush=True)
        best = min(range(len(CANDIDATES)), key=lambda i: float(selection[i]["wrmsse_selection_window"]))
        chosen = CANDIDATES[best]
        print(f"chosen on the selection window: {chosen}", flush=True)
    f = make(chosen).set_params(verbose=True)
    t0 = time.perf_counter()
    f.fit(trimmed)
    fit_s = time.perf_counter() - t0
    fc = f.predict()
    cv = actual.merge(fc, on=["sku", "store", "date"], how="left")
    missing = int(cv["forecast"].isna().sum())
    if missing:
        raise SystemExit(f"forecast is missing {missing} rows")
    rows.append(
        {
            "model": f"pullcast lgbm {chosen}",
            **score(cv, train, weights),
            "reference": np.nan,
            "seconds": fit_s,
        }
    )
    print(markdown_table(rows[-1:]), flush=True)
    print()
    table = markdown_table(rows)
    print(table)
    importance = f.feature_importance().head(15)
    print("\ntop features by gain:\n" + importance.to_string())
    write_results(
        "m5",
        {
            "rows": rows,
            "note": "M5 TX_3 x FOODS_3, train through d_1913 (d_1913 := d_1906), forecast d_1914..d_1941; "
            "WRMSSE with L12 weights renormalised over the 823 series; leading zeros dropped for pullcast",
            "params": {
                "max_rows": args.max_rows,
                "trees": args.trees,
                "train_window": args.train_window,
                "best_iteration": int(f.model_.best_iteration_),
                "chosen": chosen,
            },
            "selection": selection,
            "peak_rss_mb": peak_rss_mb(),
        },
    )
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
