"""Helpers for every test directory: where the real retail datasets are.

Tests that need real data ask the ``real_data`` fixture for a data folder (``m5_tx3_foods3``,
``rossmann``, ...). It resolves the folder exactly as the benchmarks do (``benchmarks/_common.py``:
``PULLCAST_DATA`` if set, else the development default) and skips the test, naming the folder, when
it is absent.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load_common() -> ModuleType:
    # loaded by file path: the repository root stays off sys.path (some site-packages hold unrelated
    # top-level ``tests`` or ``docs`` packages, so ``import tests...`` is not reliable either)
    spec = importlib.util.spec_from_file_location(
        "_pullcast_bench_common", ROOT / "benchmarks" / "_common.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_common = _load_common()


@pytest.fixture(scope="session")
def real_data() -> Callable[[str], Path]:
    """``real_data(folder)``: the path of that data folder, or skip the test when it is absent."""

    def get(folder: str) -> Path:
        path = _common.data_folder(folder)
        if path is None:
            pytest.skip(_common.missing_data(folder))
        return path

    return get
