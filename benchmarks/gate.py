"""Benchmark gate for CI: run every benchmark at a quick size and compare tracked ratios with a baseline.

``python -m benchmarks gate [--only a,b] [--skip a,b] [--update-baseline] [--timeout S]``

Each benchmark runs in its own process (``python -m benchmarks NAME <quick args>``, below in
:data:`SUITE`); benchmarks that need real data (a data folder under ``PULLCAST_DATA``) are skipped when
it is absent. From the JSON each one writes, the gate reads **tracked metrics** that do not depend on how
fast this machine is:

- ``speed`` metrics are ratios of two timings taken in the same process (pandas time / pullcast time,
  coreforecast / pullcast, ...); higher is better. A speed metric **regresses** when it falls below
  ``SPEED_TOLERANCE`` (50%) of its baseline value: a shared 2-core machine moves ratios by tens of
  percent, a real regression (a lost Numba path, a quadratic loop) by far more.
- ``quality`` metrics are deterministic results (seeded): an accuracy ratio against a published
  reference, the overstock cut of the replenishment replay, the strength of a detected lead. They
  regress when they get worse than the baseline by more than ``QUALITY_TOLERANCE`` (5%, relative).
- ``check`` metrics must be true (e.g. the service lost no acknowledged event, answered without errors).
- ``info`` metrics are reported next to their baseline but never fail: ratios of timings shorter than
  ``MIN_GATED_SECONDS`` (the millisecond incremental signal updates), which move by 2-4x between runs here.

The summary goes to ``benchmarks/results/gate.md`` and ``gate.json``; the exit status is 1 when a
benchmark failed or a tracked metric regressed, else 0. ``--update-baseline`` writes the measured values
to ``benchmarks/results/baseline.json`` (commit it) instead of comparing. Metrics absent from the
baseline are reported as new; baseline metrics not measured (skipped benchmark) are reported as skipped.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks._common import RESULTS, data_folder, markdown_table, missing_data

BASELINE = RESULTS / "baseline.json"
SPEED_TOLERANCE = 0.5  # a speed ratio may fall to 50% of its baseline before the gate fails
QUALITY_TOLERANCE = 0.05  # a quality metric may get 5% worse (relative) before the gate fails
MIN_GATED_SECONDS = 0.1  # timings shorter than this are too noisy here to gate a ratio on

Metric = tuple[str, float, str]  # (name, value, kind: "speed" | "quality" | "check" | "info")


def _finite(x: Any) -> bool:
    return isinstance(x, int | float) and math.isfinite(float(x))


def _kernels(res: dict[str, Any]) -> list[Metric]:
    out: list[Metric] = []
    for row in res.get("rows", []):
        if row.get("threads") != 1:  # single-thread rows use CPU time: the stable ones on a shared box
            continue
        name = row["kernel"]
        if _finite(row.get("pandas/pullcast")):
            out.append((f"kernels.{name}.pandas_over_pullcast", float(row["pandas/pullcast"]), "speed"))
        if _finite(row.get("pullcast/coreforecast")) and row["pullcast/coreforecast"] > 0:
            ratio = 1.0 / float(row["pullcast/coreforecast"])
            out.append((f"kernels.{name}.coreforecast_over_pullcast", ratio, "speed"))
    return out


def _signals(res: dict[str, Any]) -> list[Metric]:
    out: list[Metric] = []
    for row in res.get("rows", []):
        ratio = row.get("vs_pandas_groupby")  # pullcast time / pandas groupby time of the same events
        if _finite(ratio) and ratio > 0 and not str(row["step"]).startswith("reference"):
            key = str(row["step"]).split(":")[0].split(" (median")[0].replace(",", "").replace(" ", "_")
            # steps of a few milliseconds (the incremental updates) move by 2-4x between runs on a shared
            # machine: reported, not gated
            kind = "speed" if float(row.get("seconds", 0.0)) >= MIN_GATED_SECONDS else "info"
            out.append((f"signals.{key}.pandas_over_pullcast", 1.0 / float(ratio), kind))
    return out


def _replenish(res: dict[str, Any]) -> list[Metric]:
    out: list[Metric] = []
    rows = res.get("rows", [])
    for data in sorted({r["data"] for r in rows}):
        by = {str(r["method"])[:3]: r for r in rows if r["data"] == data}
        base = by.get("(a)")
        tag = data.split(" ")[0].lower()
        for key, label in (("(b)", "pullcast"), ("(c)", "pullcast_signals")):
            if base is None or key not in by:
                continue
            ours = by[key]["markdown_overstock_units"]
            if ours > 0 and base["markdown_overstock_units"] > 0:
                ratio = float(base["markdown_overstock_units"]) / float(ours)
                out.append((f"replenish.{tag}.overstock_baseline_over_{label}", ratio, "quality"))
            out.append((f"replenish.{tag}.{label}_fill_rate", float(by[key]["fill_rate"]), "quality"))
    return out


def _service(res: dict[str, Any]) -> list[Metric]:
    return [
        ("service.no_errors", float(res.get("errors", 1) == 0), "check"),
        ("service.acked_events_stored", float(bool(res.get("counts_equal"))), "check"),
    ]


def _m5_baselines(res: dict[str, Any]) -> list[Metric]:
    out: list[Metric] = []
    for row in res.get("rows", []):
        if _finite(row.get("wrmsse")) and _finite(row.get("reference")):
            # published/issue reference WRMSSE over ours: 1.0 = as good as the reference, higher is better
            out.append(
                (f"m5.{row['model']}.reference_over_wrmsse", row["reference"] / row["wrmsse"], "quality")
            )
    return out


def _rossmann(res: dict[str, Any]) -> list[Metric]:
    out: list[Metric] = []
    for row in res.get("rows", []):
        if str(row.get("differencing", "")).startswith("weekly") and _finite(row.get("strength")):
            out.append((f"rossmann.{row['channel']}.weekly_lead_strength", float(row["strength"]), "quality"))
    return out


def _update(res: dict[str, Any]) -> list[Metric]:
    rows = [r for r in res.get("rows", []) if _finite(r.get("speedup"))]
    # from-scratch refresh + predict time over update + predict time, same process and days
    return [("update.scratch_over_update", float(rows[0]["speedup"]), "speed")] if rows else []


def _signal_value(res: dict[str, Any]) -> list[Metric]:
    out: list[Metric] = []
    for row in res.get("summary", []):
        change = row.get("change_h1_7")  # WAPE(signals) / WAPE(no signals) - 1 at horizons 1-7
        if _finite(change):
            name = f"signal_value.strength_{row['strength']:g}.wape_no_signal_over_signal_h1_7"
            out.append((name, 1.0 / (1.0 + float(change)), "quality"))
    return out


def _signal_gate(res: dict[str, Any]) -> list[Metric]:
    return [
        ("signal_gate.noise_dropped", float(bool(res.get("noise_dropped"))), "check"),
        ("signal_gate.planted_kept", float(bool(res.get("planted_kept"))), "check"),
    ]


def _coldstart(res: dict[str, Any]) -> list[Metric]:
    wape = {r["model"]: r["wape"] for r in res.get("rows", []) if _finite(r.get("wape"))}
    ours, base = wape.get("pullcast cold start"), wape.get("category average")
    if ours and base:
        return [("coldstart.wape_category_average_over_pullcast", float(base) / float(ours), "quality")]
    return []


def _speed(res: dict[str, Any]) -> list[Metric]:
    ratios = res.get("ratios", {})  # pullcast / mlforecast, separate subprocesses in one run
    out: list[Metric] = []
    if _finite(ratios.get("time")) and ratios["time"] > 0:
        out.append(("speed.mlforecast_over_pullcast_time", 1.0 / float(ratios["time"]), "speed"))
    if _finite(ratios.get("peak_rss")) and ratios["peak_rss"] > 0:
        out.append(("speed.mlforecast_over_pullcast_peak_rss", 1.0 / float(ratios["peak_rss"]), "info"))
    if _finite(ratios.get("wape")) and ratios["wape"] > 0:
        out.append(("speed.mlforecast_over_pullcast_wape", 1.0 / float(ratios["wape"]), "quality"))
    return out


def _none(res: dict[str, Any]) -> list[Metric]:
    return []


@dataclass(frozen=True)
class Step:
    """One benchmark run of the gate: its quick arguments, result file and tracked metrics."""

    name: str
    args: tuple[str, ...]
    result: str
    metrics: Callable[[dict[str, Any]], list[Metric]]
    needs: tuple[str, ...] = field(default=())


SUITE: tuple[Step, ...] = (
    Step("make_retail", (), "make_retail", _none),
    Step("kernels", ("--series", "500", "--days", "500"), "kernels", _kernels),
    Step("signals", ("--quick",), "signals_quick", _signals),
    Step("update", ("--quick", "--skus", "100", "--days", "200", "--replay", "3"), "update", _update),
    # the replenishment replay proof takes many minutes: the gate runs the speed part as a smoke test
    Step("replenish", ("--quick", "--skip-proof"), "replenish_quick", _replenish),
    Step("service", ("--quick", "--seconds", "5"), "service_quick", _service),
    Step("signal_gate", ("--quick",), "signal_gate_quick", _signal_gate),
    Step("speed", ("--quick",), "speed_quick", _speed),
    Step(
        "m5_baselines",
        ("--models", "snaive,sba,tsb"),
        "m5_baselines",
        _m5_baselines,
        ("m5_tx3_foods3", "m5_wrmsse_reference"),
    ),  # fmt: skip
    Step("rossmann_leads", ("--stores", "100"), "rossmann_leads", _rossmann, ("rossmann",)),
)
# Not in the gate (each fits several LightGBM models and takes minutes here; run them by hand):
# signal_value, coldstart, nowcast, rossmann, m5, and the replenishment replay (replenish without
# --skip-proof). Their extractors stay below so that `--extra` runs can be compared too.
EXTRA: tuple[Step, ...] = (
    Step("signal_value", ("--quick", "--windows", "1"), "signal_value", _signal_value),
    Step("coldstart", ("--quick",), "coldstart", _coldstart),
)


def run_step(step: Step, timeout: float) -> dict[str, Any]:
    """Run one benchmark in a subprocess; return its status, wall time and tracked metrics."""
    missing = [d for d in step.needs if data_folder(d) is None]
    if missing:
        return {
            "benchmark": step.name,
            "status": "skipped",
            "seconds": 0.0,
            "note": missing_data(missing[0]),
        }
    result = RESULTS / f"{step.result}.json"
    # A quick run must not replace full-size results a user produced (the docs quote them): the quick result
    # is kept as gate_<name>.json and the previous files are put back, unless some other process wrote the
    # result after us (then theirs stays). Nothing is ever deleted.
    saved = {p: p.read_bytes() for p in (result, result.with_suffix(".md")) if p.exists()}
    before = result.stat().st_mtime if result.exists() else None
    try:
        return _run(step, timeout, result, before)
    finally:
        if result.exists() and result.stat().st_mtime != before:
            ours = result.read_bytes()
            (RESULTS / f"gate_{step.result}.json").write_bytes(ours)
            if result in saved and result.read_bytes() == ours:
                for path, content in saved.items():
                    path.write_bytes(content)


def _run(step: Step, timeout: float, result: Path, before: float | None) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "benchmarks", step.name, *step.args]
    root = Path(__file__).resolve().parents[1]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {
            "benchmark": step.name,
            "status": "failed",
            "seconds": timeout,
            "note": f"timeout after {timeout:.0f} s",
        }
    seconds = time.perf_counter() - t0
    log = {"command": cmd, "returncode": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr}
    (RESULTS / f"gate_{step.name}_log.json").write_text(json.dumps(log, indent=1))
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or [""]
        return {"benchmark": step.name, "status": "failed", "seconds": seconds,
                "note": f"exit {proc.returncode}: {tail[0][:200]}"}  # fmt: skip
    if not result.exists() or result.stat().st_mtime == before:
        return {
            "benchmark": step.name,
            "status": "failed",
            "seconds": seconds,
            "note": f"{result.name} not written",
        }
    metrics = step.metrics(json.loads(result.read_text()))
    return {"benchmark": step.name, "status": "ok", "seconds": seconds, "note": "", "metrics": metrics}


def compare(metrics: list[Metric], baseline: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per tracked metric: value, baseline, the floor it must stay above, and a verdict."""
    rows = []
    seen = set()
    for name, value, kind in metrics:
        seen.add(name)
        base = baseline.get(name)
        if base is None:
            rows.append(
                {"metric": name, "kind": kind, "value": value, "baseline": "", "floor": "", "verdict": "new"}
            )
            continue
        ref = float(base["value"])
        if kind == "info":
            rows.append(
                {
                    "metric": name,
                    "kind": kind,
                    "value": value,
                    "baseline": ref,
                    "floor": "",
                    "verdict": "info",
                }
            )
            continue
        if kind == "speed":
            floor = SPEED_TOLERANCE * ref
        elif kind == "quality":
            floor = ref - QUALITY_TOLERANCE * abs(ref)
        else:
            floor = 1.0
        verdict = "ok" if value >= floor else "REGRESSED"
        rows.append(
            {
                "metric": name,
                "kind": kind,
                "value": value,
                "baseline": ref,
                "floor": floor,
                "verdict": verdict,
            }
        )
    for name, base in sorted(baseline.items()):
        if name not in seen:
            ref = float(base["value"])
            kind = base.get("kind", "")
            rows.append(
                {
                    "metric": name,
                    "kind": kind,
                    "value": "",
                    "baseline": ref,
                    "floor": "",
                    "verdict": "skipped",
                }
            )
    return rows


def _select(names: str | None) -> set[str]:
    return {n.strip() for n in names.split(",") if n.strip()} if names else set()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks gate", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="accepted for `all --quick`; the gate is always quick"
    )
    parser.add_argument("--only", default=None, help="comma-separated benchmarks to run (default: all)")
    parser.add_argument("--skip", default=None, help="comma-separated benchmarks to leave out")
    parser.add_argument(
        "--extra", action="store_true", help="also run the slow ones (signal_value, coldstart)"
    )
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per benchmark (default 300)")
    parser.add_argument(
        "--update-baseline", action="store_true", help="write baseline.json instead of comparing"
    )
    args = parser.parse_args(argv)
    only, skip = _select(args.only), _select(args.skip)
    suite = SUITE + EXTRA if args.extra or (only & {s.name for s in EXTRA}) else SUITE
    unknown = (only | skip) - {s.name for s in SUITE + EXTRA}
    if unknown:
        parser.error(f"unknown benchmark(s) {sorted(unknown)}; the gate runs {[s.name for s in SUITE]}")
    RESULTS.mkdir(exist_ok=True)
    os.environ.setdefault("PYTHONHASHSEED", "0")
    runs = []
    for step in suite:
        if (only and step.name not in only) or step.name in skip:
            continue
        print(f"gate: {step.name} {' '.join(step.args)}", flush=True)
        runs.append(run_step(step, args.timeout))
        print(
            f"gate: {step.name} {runs[-1]['status']} in {runs[-1]['seconds']:.1f} s {runs[-1]['note']}",
            flush=True,
        )
    metrics = [m for r in runs for m in r.get("metrics", [])]
    if args.update_baseline:
        payload = {name: {"value": value, "kind": kind} for name, value, kind in metrics}
        BASELINE.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
        print(f"gate: wrote {len(payload)} tracked metrics to {BASELINE}")
        return int(any(r["status"] == "failed" for r in runs))
    baseline = json.loads(BASELINE.read_text()) if BASELINE.exists() else {}
    if only or skip:  # a partial run does not report the others as skipped
        prefixes = {m[0].split(".")[0] for m in metrics} | {r["benchmark"] for r in runs}
        baseline = {k: v for k, v in baseline.items() if k.split(".")[0] in prefixes}
    rows = compare(metrics, baseline)
    failed = [r for r in runs if r["status"] == "failed"]
    regressed = [r for r in rows if r["verdict"] == "REGRESSED"]
    runs_table = [{k: r[k] for k in ("benchmark", "status", "seconds", "note")} for r in runs]
    md = [
        "# Benchmark gate",
        "",
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}.",
        f"Speed ratios fail below {SPEED_TOLERANCE:.0%} of baseline; quality metrics fail when "
        f"{QUALITY_TOLERANCE:.0%} worse than baseline; checks must hold.",
        "",
        markdown_table(runs_table),
        "",
        markdown_table(rows),
        "",
        f"**{'FAIL' if failed or regressed else 'PASS'}**: {len(failed)} benchmark(s) failed, "
        f"{len(regressed)} metric(s) regressed, total {sum(r['seconds'] for r in runs):.0f} s.",
    ]
    (RESULTS / "gate.md").write_text("\n".join(md) + "\n")
    (RESULTS / "gate.json").write_text(
        json.dumps({"runs": runs_table, "metrics": rows}, indent=2, default=str)
    )
    print("\n".join(md))
    return 1 if failed or regressed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
