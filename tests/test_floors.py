"""The version floors pyproject.toml declares are the versions `make test-floors` installs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _floors_declared() -> dict[str, str]:
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    out = {}
    for req in [*project["dependencies"], *project["optional-dependencies"]["parquet"]]:
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?>=([0-9.]+)", req.replace(" ", ""))
        assert m, f"dependency {req!r} has no plain '>=' floor"
        out[m.group(1).lower()] = m.group(2)
    return out


def _floors_tested() -> dict[str, str]:
    out = {}
    for line in (ROOT / ".ci" / "floors.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            out[name.lower()] = version
    return out


def _padded(version: str) -> tuple[int, ...]:
    parts = tuple(int(p) for p in version.split("."))
    return parts + (0,) * (3 - len(parts))


def test_every_declared_floor_is_the_version_ci_tests() -> None:
    declared, tested = _floors_declared(), _floors_tested()
    assert set(declared) == set(tested)
    for name, floor in declared.items():
        assert _padded(floor) == _padded(tested[name]), f"{name}: declared >={floor}, tested {tested[name]}"
