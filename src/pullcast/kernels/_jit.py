"""The one jit policy of the package: every Numba function is compiled through :func:`jit`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numba

F = TypeVar("F", bound=Callable[..., Any])

_POLICY: dict[str, Any] = {"cache": True, "nogil": True, "error_model": "numpy"}


def jit(func: F) -> F:
    """Compile a single-threaded kernel with the package policy."""
    return numba.njit(**_POLICY)(func)  # type: ignore[no-any-return]


def jit_parallel(func: F) -> F:
    """Compile a driver that runs ``numba.prange`` loops over series in parallel."""
    return numba.njit(parallel=True, **_POLICY)(func)  # type: ignore[no-any-return]
