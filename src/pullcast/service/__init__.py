"""The forecast service (extra ``serve``): an HTTP API with a durable signal store.

``create_app(model_dir, db_path, ...)`` builds the FastAPI app; ``pullcast serve`` runs it with uvicorn.
FastAPI, pydantic, uvicorn and DuckDB are imported only when ``create_app`` is first used, so
``hash_key`` and the other helpers work without the ``serve`` extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pullcast.service._auth import ENV_KEYS, ServiceLimits, hash_key, read_key_file

if TYPE_CHECKING:  # type checkers see create_app; at run time __getattr__ imports it on first use
    from pullcast.service.app import create_app

__all__ = ["ENV_KEYS", "ServiceLimits", "create_app", "hash_key", "read_key_file"]


def __getattr__(name: str) -> Any:
    if name == "create_app":  # the app module imports pydantic: only on first use
        from pullcast.service.app import create_app

        return create_app
    raise AttributeError(f"module 'pullcast.service' has no attribute {name!r}")
