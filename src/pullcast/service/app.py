"""The FastAPI application: a thin HTTP shell over the Forecaster, the signal store and replenishment.

Every ``/v1`` route except ``/v1/health`` needs ``Authorization: Bearer <key>``. Errors are JSON
``{"error", "message", "detail"}`` with a 4xx status and a message naming the field at fault.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pullcast.errors import ConfigError, PullcastError
from pullcast.service._auth import ServiceLimits, resolve_keys
from pullcast.service._errors import RequestError
from pullcast.service._schemas import (
    ErrorBody,
    ForecastRequest,
    ForecastResponse,
    HealthResponse,
    IngestResponse,
    ModelResponse,
    OrdersRequest,
    OrdersResponse,
    ReadyResponse,
    SalesRequest,
    SalesResponse,
    SignalsRequest,
)

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["RequestError", "create_app"]


def _error(status: int, kind: str, message: str, detail: list[dict[str, Any]] | None = None) -> Any:
    from fastapi.responses import JSONResponse

    body = {"error": kind, "message": message, "detail": detail}
    return JSONResponse(status_code=status, content=body)


class BodyLimit:
    """ASGI middleware answering 413 to bodies over ``limit`` bytes (declared or streamed)."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._reject(scope, receive, send)
            return
        seen = 0

        async def counted() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await self._reject(scope, receive, send)

    async def _reject(self, scope: Any, receive: Any, send: Any) -> None:
        response = _error(
            413,
            "body too large",
            f"request body: larger than the limit of {self.limit} bytes (max_body_bytes)",
        )
        await response(scope, receive, send)


class _TooLarge(Exception):
    pass


def create_app(
    model_dir: str | Path,
    db_path: str | Path,
    *,
    api_keys: Iterable[str] | None = None,
    insecure_dev: bool = False,
    limits: ServiceLimits | None = None,
    max_staleness: float = 0.0,
) -> FastAPI:
    """Build the forecast service over a saved model and a DuckDB store.

    Parameters
    ----------
    model_dir : str or Path
        A model directory written by ``Forecaster.save`` (loaded and checked; no pickle).
    db_path : str or Path
        The DuckDB file holding acknowledged events and sales (created when absent). Its rows are
        replayed into the model's state on start.
    api_keys : iterable of str or None, default None
        sha256 hex digests of the accepted API keys (see :func:`pullcast.service.hash_key`); None
        reads the ``PULLCAST_API_KEYS`` environment variable.
    insecure_dev : bool, default False
        Serve without authentication when no key is configured (development only).
    limits : ServiceLimits or None, default None
        Request caps; None uses ``ServiceLimits()``.
    max_staleness : float, default 0.0
        Seconds for which a forecast may come from the state before the latest writes while the new
        one is computed in the background (answers then say ``"stale": true``). 0: every forecast
        reflects every write acknowledged before it.

    Returns
    -------
    fastapi.FastAPI

    Raises
    ------
    pullcast.errors.ConfigError
        No API key configured (and not ``insecure_dev``), or the store cannot be opened.
    pullcast.errors.IncompatibleModelError
        The model directory is missing, changed, corrupt or from an incompatible version.
    """
    from fastapi import Depends, FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException as StarletteHTTPException

    from pullcast import __version__
    from pullcast.service import _routes
    from pullcast.service._engine import ForecastEngine
    from pullcast.service._store import DurableStore

    lim = limits if limits is not None else ServiceLimits()
    if not max_staleness >= 0:
        raise ConfigError(f"max_staleness must be >= 0 seconds, got {max_staleness!r}")
    digests = resolve_keys(api_keys, insecure_dev=insecure_dev)
    store = DurableStore(db_path)
    try:
        engine = ForecastEngine(model_dir, store, max_staleness=max_staleness)
    except BaseException:
        store.close()
        raise

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.close()

    app = FastAPI(
        lifespan=lifespan,
        title="pullcast forecast service",
        version=__version__,
        description="Demand forecasts and order proposals from sales and pull signals.",
        responses={
            401: {"model": ErrorBody, "description": "Missing or wrong API key"},
            413: {"model": ErrorBody, "description": "Request body too large"},
            422: {"model": ErrorBody, "description": "Invalid request"},
        },
    )
    app.state.engine = engine
    app.state.limits = lim
    app.add_middleware(BodyLimit, limit=lim.max_body_bytes)

    @app.exception_handler(RequestError)
    async def _request_error(request: Request, exc: RequestError) -> Any:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        response = _error(exc.status, exc.field, str(exc))
        if headers:
            response.headers.update(headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Any:
        detail = [
            {"field": ".".join(str(p) for p in e.get("loc", ())), "message": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        first = detail[0] if detail else {"field": "body", "message": "invalid request"}
        more = f" (and {len(detail) - 1} more)" if len(detail) > 1 else ""
        return _error(422, "invalid request", f"{first['field']}: {first['message']}{more}", detail)

    @app.exception_handler(PullcastError)
    async def _pullcast_error(request: Request, exc: PullcastError) -> Any:
        return _error(422, type(exc).__name__, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Any:
        return _error(exc.status_code, "http error", f"{request.url.path}: {exc.detail}")

    auth = [Depends(_routes.make_authorize(digests))]
    app.add_api_route("/v1/health", _routes.health, methods=["GET"], response_model=HealthResponse)
    app.add_api_route(
        "/v1/ready", _routes.ready, methods=["GET"], response_model=ReadyResponse, dependencies=auth
    )
    app.add_api_route(
        "/v1/model", _routes.model, methods=["GET"], response_model=ModelResponse, dependencies=auth
    )
    app.add_api_route(
        "/v1/signals", _routes.signals, methods=["POST"], response_model=IngestResponse, dependencies=auth
    )
    app.add_api_route(
        "/v1/sales", _routes.sales, methods=["POST"], response_model=SalesResponse, dependencies=auth
    )
    app.add_api_route(
        "/v1/forecast", _routes.forecast, methods=["POST"], response_model=ForecastResponse, dependencies=auth
    )
    app.add_api_route(
        "/v1/orders", _routes.orders, methods=["POST"], response_model=OrdersResponse, dependencies=auth
    )
    _ = (SignalsRequest, SalesRequest, ForecastRequest, OrdersRequest)
    return app
