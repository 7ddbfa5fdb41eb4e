"""Shared benchmark helpers: medians of repeated timings, ratio tables, JSON results, data paths."""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"
DATA_ENV = "PULLCAST_DATA"  # the directory holding the real dataset folders (m5_tx3_foods3, rossmann, ...)


def median_time(func: Callable[[], Any], *, repeat: int = 5, warmup: int = 1) -> float:
    """Median wall time of ``func()`` in seconds over ``repeat`` runs after ``warmup`` runs."""
    for _ in range(warmup):
        func()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        func()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux ru_maxrss is in KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def markdown_table(rows: list[dict[str, Any]]) -> str:
    """A markdown table of ``rows`` (all with the same keys); floats shown with 4 significant digits."""
    if not rows:
        return "(no rows)"
    head = list(rows[0])

    def fmt(v: Any) -> str:
        return f"{v:.4g}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(fmt(r.get(k, "")) for k in head) + " |" for r in rows]
    return "\n".join(lines)


def write_results(name: str, payload: dict[str, Any]) -> Path:
    """Write ``benchmarks/results/<name>.json`` with machine info, and a markdown table if given rows."""
    RESULTS.mkdir(exist_ok=True)
    payload = {
        "benchmark": name,
        "machine": platform.platform(),
        "python": platform.python_version(),
        **payload,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, default=str))
    if "rows" in payload:
        (RESULTS / f"{name}.md").write_text(markdown_table(payload["rows"]) + "\n")
    return path


def data_root() -> Path:
    """The directory holding the real dataset folders: ``$PULLCAST_DATA`` if set, else the dev default.

    The development default is the ``shared/data`` folder beside the repository checkout. It is computed
    here and nowhere else: tests, the gate and every benchmark resolve data through this function.
    """
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env).expanduser()
    return Path(__file__).resolve().parents[1].parent / "shared" / "data"


def data_folder(folder: str) -> Path | None:
    """Path of the data folder ``folder`` under :func:`data_root` if present, else None (callers skip)."""
    path = data_root() / folder
    return path if path.is_dir() else None


def missing_data(folder: str) -> str:
    """The skip message for an absent data folder."""
    return f"the data folder {folder} is absent (set {DATA_ENV})"
