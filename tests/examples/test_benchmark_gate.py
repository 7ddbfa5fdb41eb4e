"""benchmarks/gate.py: tolerances, metric extraction, and a quick run never clobbers full-size results."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks import gate  # noqa: E402


def _verdicts(rows):
    return {r["metric"]: r["verdict"] for r in rows}


def test_speed_ratios_fail_only_below_half_of_baseline():
    base = {"k.fast": {"value": 10.0, "kind": "speed"}, "k.slow": {"value": 10.0, "kind": "speed"}}
    rows = gate.compare([("k.fast", 5.01, "speed"), ("k.slow", 4.99, "speed")], base)
    assert _verdicts(rows) == {"k.fast": "ok", "k.slow": "REGRESSED"}


def test_quality_fails_beyond_five_percent_and_checks_must_hold():
    base = {
        "q.a": {"value": 1.0, "kind": "quality"},
        "q.b": {"value": 1.0, "kind": "quality"},
        "c.ok": {"value": 1.0, "kind": "check"},
        "c.bad": {"value": 1.0, "kind": "check"},
        "gone": {"value": 3.0, "kind": "speed"},
    }
    got = [("q.a", 0.951, "quality"), ("q.b", 0.949, "quality"), ("c.ok", 1.0, "check"),
           ("c.bad", 0.0, "check"), ("fresh", 2.0, "speed")]  # fmt: skip
    want = {"q.a": "ok", "q.b": "REGRESSED", "c.ok": "ok", "c.bad": "REGRESSED"}
    assert _verdicts(gate.compare(got, base)) == {**want, "fresh": "new", "gone": "skipped"}


def test_extractors_read_the_benchmarks_json():
    kernels = {"rows": [
        {"kernel": "rm", "threads": 1, "pandas/pullcast": 40.0, "pullcast/coreforecast": 2.0},
        {"kernel": "rm", "threads": 2, "pandas/pullcast": 10.0, "pullcast/coreforecast": 1.0},
    ]}  # fmt: skip
    assert gate._kernels(kernels) == [
        ("kernels.rm.pandas_over_pullcast", 40.0, "speed"),
        ("kernels.rm.coreforecast_over_pullcast", 0.5, "speed"),
    ]
    signals = {"rows": [{"step": "ingest 1,000 events", "vs_pandas_groupby": 4.0, "seconds": 1.0},
                        {"step": "one-day update: x", "vs_pandas_groupby": 0.5, "seconds": 0.01},
                        {"step": "reference: pandas", "vs_pandas_groupby": 1.0},
                        {"step": "  of which append", "vs_pandas_groupby": float("nan")}]}  # fmt: skip
    assert gate._signals(signals) == [
        ("signals.ingest_1000_events.pandas_over_pullcast", 0.25, "speed"),
        ("signals.one-day_update.pandas_over_pullcast", 2.0, "info"),
    ]
    assert gate.compare([("i", 0.01, "info")], {"i": {"value": 9.0, "kind": "info"}})[0]["verdict"] == "info"
    value = {"summary": [{"strength": 2.0, "change_h1_7": -0.2}]}
    assert gate._signal_value(value) == [
        ("signal_value.strength_2.wape_no_signal_over_signal_h1_7", 1.25, "quality")
    ]
    assert gate._service({"errors": 0, "counts_equal": False}) == [
        ("service.no_errors", 1.0, "check"),
        ("service.acked_events_stored", 0.0, "check"),
    ]


def test_every_suite_step_is_a_benchmark_and_the_baseline_covers_the_suite():
    from benchmarks.__main__ import available

    names = available()
    assert all(step.name in names for step in gate.SUITE)
    baseline = json.loads(gate.BASELINE.read_text())
    prefixes = {name.split(".")[0] for name in baseline}
    assert {"kernels", "signals", "update", "service"} <= prefixes
    assert all(entry["kind"] in ("speed", "quality", "check", "info") for entry in baseline.values())


def test_a_quick_run_keeps_the_full_size_result(tmp_path, monkeypatch):
    monkeypatch.setattr(gate, "RESULTS", tmp_path)
    full = tmp_path / "demo.json"
    full.write_text(json.dumps({"rows": [{"speedup": 9.0}]}))

    def fake_run(step, timeout, result, before):
        result.write_text(json.dumps({"rows": [{"speedup": 3.0}]}))
        return {"benchmark": step.name, "status": "ok", "seconds": 0.1, "note": "", "metrics": []}

    monkeypatch.setattr(gate, "_run", fake_run)
    step = gate.Step("demo", ("--quick",), "demo", gate._update)
    assert gate.run_step(step, 10.0)["status"] == "ok"
    assert json.loads(full.read_text())["rows"][0]["speedup"] == 9.0
    assert json.loads((tmp_path / "gate_demo.json").read_text())["rows"][0]["speedup"] == 3.0


def test_missing_data_is_a_skip_not_a_failure(monkeypatch, tmp_path):
    monkeypatch.setenv("PULLCAST_DATA", str(tmp_path / "nowhere"))
    step = gate.Step("m5_baselines", (), "m5_baselines", gate._m5_baselines, ("m5_tx3_foods3",))
    assert gate.run_step(step, 10.0)["status"] == "skipped"


def test_unknown_benchmark_names_are_refused():
    with pytest.raises(SystemExit):
        gate.main(["--only", "nope"])
