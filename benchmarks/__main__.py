"""Run a benchmark: ``python -m benchmarks NAME [options]`` (``python -m benchmarks list`` names them).

Each benchmark is a module ``benchmarks/bench_<name>.py`` with a ``main(argv) -> int`` function.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def available() -> list[str]:
    here = Path(__file__).parent
    return sorted(
        m.name[len("bench_") :] for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_")
    )


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help", "list"):
        print("usage: python -m benchmarks NAME [options]\navailable: " + ", ".join(available()))
        return 0
    name, rest = argv[0], argv[1:]
    if name == "gate" or (name == "all" and "--quick" in rest):
        from benchmarks import gate

        return int(gate.main(rest))
    if name == "all":
        status = 0
        for bench in available():
            print(f"\n=== {bench} ===", flush=True)
            status |= importlib.import_module(f"benchmarks.bench_{bench}").main(rest)
        return status
    if name not in available():
        print(f"unknown benchmark {name!r}; available: {', '.join(available())}", file=sys.stderr)
        return 2
    return int(importlib.import_module(f"benchmarks.bench_{name}").main(rest))


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
