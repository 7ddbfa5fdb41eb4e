"""Request and response bodies of the HTTP API (pydantic models; they generate the OpenAPI page)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

__all__ = [
    "ErrorBody",
    "ForecastRequest",
    "ForecastResponse",
    "ForecastRow",
    "FutureRow",
    "HealthResponse",
    "IngestResponse",
    "InventoryRow",
    "ModelResponse",
    "OrderRow",
    "OrdersRequest",
    "OrdersResponse",
    "ParamsBody",
    "PolicyBody",
    "ReadyResponse",
    "RejectedEvent",
    "SalesRequest",
    "SalesResponse",
    "SalesRow",
    "SeriesKey",
    "SignalEvent",
    "SignalsRequest",
]

#: A SKU or store label: JSON strings or integers (converted to the model's label type).
Label = str | int
_FIRST, _LAST = dt.date(1900, 1, 1), dt.date(2199, 12, 31)


def _check_day(value: dt.date) -> dt.date:
    day = value.date() if isinstance(value, dt.datetime) else value
    if not _FIRST <= day <= _LAST:
        raise ValueError(f"{value.isoformat()} is outside the supported range {_FIRST} .. {_LAST}")
    return value


#: A calendar day / a timestamp within 1900-01-01 .. 2199-12-31 (pandas' nanosecond range, with margin).
Day = Annotated[dt.date, AfterValidator(_check_day)]
Stamp = Annotated[dt.datetime, AfterValidator(_check_day)]

#: Hard ceiling of list lengths in the schema; the configured :class:`ServiceLimits` are lower.
_CEILING = 1_000_000


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class SignalEvent(_Body):
    """One pull-signal event (docs/architecture.md): a SKU, when it happened, the channel and a value."""

    sku: Label
    time: Stamp = Field(description="Event time; tz-aware times are converted to UTC.")
    channel: str = Field(min_length=1, max_length=200)
    value: float
    store: Label | None = Field(default=None, description="For store-level channels.")
    region: Label | None = Field(default=None, description="For region-level channels.")
    arrived_at: Stamp | None = Field(default=None, description="When it became known; default time + delay.")


class SignalsRequest(_Body):
    """A batch of signal events to append."""

    events: list[SignalEvent] = Field(max_length=_CEILING)


class RejectedEvent(BaseModel):
    """A refused event: its position in the request and the reason."""

    index: int
    reason: str


class IngestResponse(BaseModel):
    """What happened to each event; ``accepted + rejected == n_rows``. Accepted events are durable."""

    n_rows: int
    accepted: int
    rejected: int
    duplicates: int
    revisions: int
    reasons: dict[str, int]
    rejected_rows: list[RejectedEvent]
    events_stored: int = Field(description="Accepted events held by the service's store in total.")


class SalesRow(_Body):
    """One sales day of one SKU-store."""

    sku: Label
    store: Label
    date: Day
    units: float = Field(ge=0)
    on_hand: float | None = Field(default=None, ge=0)
    in_stock: float | None = Field(default=None, ge=0, le=1)
    covariates: dict[str, float] = Field(
        default_factory=dict, description="Known-ahead numeric columns the model was fit with (price, promo)."
    )
    attributes: dict[str, str] = Field(
        default_factory=dict, description="Static attributes (e.g. category) for series new to the model."
    )


class SalesRequest(_Body):
    """A batch of sales days to append (each dated after its series' last known day)."""

    rows: list[SalesRow] = Field(max_length=_CEILING)


class SalesResponse(BaseModel):
    """The sales batch was appended and is durable."""

    n_rows: int
    accepted: int
    series_updated: int
    new_series: int
    sales_rows_stored: int


class SeriesKey(_Body):
    """One SKU-store."""

    sku: Label
    store: Label


class FutureRow(_Body):
    """Known-ahead covariate values of one SKU-store on one forecast date."""

    sku: Label
    store: Label
    date: Day
    covariates: dict[str, float]


class ForecastRequest(_Body):
    """Which forecasts to return."""

    series: list[SeriesKey] | None = Field(
        default=None, max_length=_CEILING, description="None: every series."
    )
    horizon: int | None = Field(
        default=None, ge=1, description="At most the model's horizon; None: the model's."
    )
    quantiles: list[float] | None = Field(
        default=None,
        max_length=99,
        description="Levels strictly between 0 and 1; None: the model's quantiles.",
    )
    as_of: Stamp | None = Field(
        default=None, description="Intraday nowcast time (when the model supports it)."
    )
    future: list[FutureRow] | None = Field(
        default=None,
        max_length=_CEILING,
        description="Known-ahead covariates for the forecast dates; None carries each series' last known "
        "values forward.",
    )


class ForecastRow(BaseModel):
    """The forecast of one SKU-store on one date: mean and quantiles (``p10``, ``p50``, ...)."""

    sku: Label
    store: Label
    date: dt.date
    forecast: float | None = Field(description="null where the model has no forecast (NaN).")
    quantiles: dict[str, float | None]


class ForecastResponse(BaseModel):
    """Forecast rows sorted by sku, store, date."""

    horizon: int
    quantiles: list[str]
    covariates_source: Literal["none", "request", "carried forward"]
    stale: bool = Field(
        description="True when served from the state before the latest writes (only with max_staleness > 0)."
    )
    rows: list[ForecastRow]


class InventoryRow(_Body):
    """The inventory position of one SKU-store."""

    sku: Label
    store: Label
    on_hand: float = Field(ge=0)
    on_order: float = Field(default=0.0, ge=0)
    arrival_date: Day | None = None


class PolicyBody(_Body):
    """The ordering policy (see :mod:`pullcast.replenish`)."""

    kind: Literal["order_up_to", "newsvendor", "ss"] = "order_up_to"
    service_level: float = Field(default=0.95, gt=0, lt=1)
    service_type: Literal["cycle", "fill_rate"] = "cycle"
    cover_days: float = Field(default=7.0, ge=0)


class ParamsBody(_Body):
    """Replenishment parameters for every SKU-store (:class:`pullcast.replenish.ReplenishParams`)."""

    lead_time: int = Field(default=2, ge=0, le=365)
    review_period: int = Field(default=1, ge=1, le=365)
    case_pack: float = Field(default=1.0, gt=0)
    moq: float = Field(default=0.0, ge=0)
    shelf_capacity: float | None = Field(default=None, gt=0, description="None: unlimited.")
    shelf_life: int = Field(default=0, ge=0)
    unit_cost: float = Field(default=1.0, ge=0)
    price: float = Field(default=2.0, ge=0)
    salvage: float = Field(default=0.0, ge=0)
    holding_cost: float = Field(default=0.0, ge=0)
    lost_sale_penalty: float = Field(default=0.0, ge=0)


class OrdersRequest(_Body):
    """Inventory positions to propose orders for, with the policy and parameters."""

    inventory: list[InventoryRow] = Field(min_length=1, max_length=_CEILING)
    policy: PolicyBody = Field(default_factory=PolicyBody)
    params: ParamsBody = Field(default_factory=ParamsBody)
    n_paths: int = Field(default=500, ge=10, description="Sample paths of demand per series.")
    seed: int = Field(default=0, ge=0, le=2**32 - 1)
    future: list[FutureRow] | None = Field(default=None, max_length=_CEILING)


class OrderRow(BaseModel):
    """One order proposal with its reasons (orders columns, docs/architecture.md)."""

    sku: Label
    store: Label
    order_date: dt.date
    arrival_date: dt.date
    order_qty: float | None
    on_hand: float | None
    on_order: float | None
    protection_demand: float | None
    safety_stock: float | None
    target_level: float | None
    pack_rounding: float | None
    expected_leftover: float | None
    expected_lost_sales: float | None
    reason: str


class OrdersResponse(BaseModel):
    """One proposal per inventory row."""

    orders: list[OrderRow]


class HealthResponse(BaseModel):
    """Liveness."""

    status: Literal["ok"]


class ReadyResponse(BaseModel):
    """Readiness: model loaded and store open."""

    ready: bool
    model_loaded: bool
    store_open: bool
    events_stored: int
    sales_rows_stored: int


class ModelResponse(BaseModel):
    """What the loaded model is."""

    pullcast_version: str
    model_dir: str
    horizon: int
    quantiles: list[float]
    training_window: tuple[dt.date, dt.date]
    n_series: int
    origin: dt.date | None = Field(description="The latest forecast origin (last known sales day).")
    features: list[str]
    covariates: list[str]
    signal_channels: list[str]
    signal_report: list[dict[str, str | float | int | bool | None]]
    supports_as_of: bool


class ErrorBody(BaseModel):
    """Every 4xx answer: the status, a one-line message naming the field at fault, and details."""

    error: str
    message: str
    detail: list[dict[str, object]] | None = None
