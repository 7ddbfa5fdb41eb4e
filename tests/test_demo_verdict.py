"""The demo's one-line signal verdict says what the gate kept and what signals did to the backtest."""

from __future__ import annotations

import pandas as pd

from pullcast.demo import _signal_verdict


def _cv(err_with: float, err_without: float) -> pd.DataFrame:
    rows = []
    for model, err in (("lgbm + signals", err_with), ("lgbm (no signals)", err_without)):
        rows += [{"model": model, "units": 10.0, "forecast": 10.0 + err}] * 4
    return pd.DataFrame(rows)


def test_verdict_names_kept_channels_and_the_wape_change() -> None:
    report = pd.DataFrame({"channel": ["search", "trend"], "kept": [True, False]})
    line = _signal_verdict(report, _cv(2.0, 4.0))
    assert line.strip().startswith("signals earn their place: gate kept 1 of 2 channels (search)")
    assert "0.2000 with signals vs 0.4000 without (-50.00%)" in line


def test_verdict_is_honest_when_signals_do_not_help() -> None:
    report = pd.DataFrame({"channel": ["search"], "kept": [True]})
    assert "do not earn their place" in _signal_verdict(report, _cv(4.0, 2.0))
    none = pd.DataFrame({"channel": ["search"], "kept": [False]})
    assert "gate kept 0 of 1 channels (none)" in _signal_verdict(none, _cv(2.0, 4.0))
