from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def constant_sales(n_series: int = 4, n_days: int = 120, level: float = 10.0, seed: int = 0) -> pd.DataFrame:
    """Poisson demand with a weekly pattern, no stock columns (small, fast to fit)."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-01", periods=n_days, freq="D")
    rows = []
    for i in range(n_series):
        lam = level * (1 + 0.3 * np.sin(2 * np.pi * dates.day_of_week / 7)) * (1 + 0.2 * i)
        rows.append(pd.DataFrame({"sku": f"s{i}", "store": "A", "date": dates, "units": rng.poisson(lam)}))
    return pd.concat(rows, ignore_index=True)


@pytest.fixture(scope="session")
def retail():
    from pullcast.datasets import make_retail

    return make_retail(n_skus=8, n_stores=2, n_days=220, seed=3)
