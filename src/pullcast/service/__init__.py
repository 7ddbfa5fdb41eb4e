"""The forecast service (extra ``serve``): an HTTP API with a durable signal store.

``create_app(model_dir, db_path, ...)`` builds the FastAPI app; ``pullcast serve`` runs it with uvicorn.
FastAPI, uvicorn and DuckDB are imported only when the app is built.
"""

from __future__ import annotations

from pullcast.service._auth import ENV_KEYS, ServiceLimits, hash_key, read_key_file
from pullcast.service.app import create_app

__all__ = ["ENV_KEYS", "ServiceLimits", "create_app", "hash_key", "read_key_file"]
