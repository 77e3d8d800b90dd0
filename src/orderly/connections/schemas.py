"""The connections API's shapes. Credentials go in and never come out: a connection shows only
which credential keys it holds."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Code = Annotated[str, StringConstraints(min_length=1, max_length=100)]
OptionValue = Annotated[str, StringConstraints(max_length=200)] | int | bool
Secret = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
PlatformId = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ConnectionSettings(Closed):
    """What a connection pushes and how it maps locations; every field has a default."""

    push_stock: bool = True
    push_fulfillments: bool = True
    # Units held back from what the platform shows, per SKU and platform location.
    stock_buffer: int = Field(default=0, ge=0, le=1_000_000)
    # An order the platform sent with too little stock: backordered, or held for a person.
    on_shortage: Literal["backorder", "hold"] = "backorder"
    # Platform location id -> our location codes whose stock it shows. Empty: one pool of the
    # channel's eligible locations, shown at `location_id` (or the platform's default).
    location_map: dict[PlatformId, list[Code]] = Field(default_factory=dict, max_length=200)
    location_id: PlatformId | None = None
    # Platform options: Shopify's API version, Magento's store code and MSI source.
    api_version: Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}$")] | None = None
    store_code: Code | None = None
    source_code: Code | None = None
    pull_interval_minutes: int = Field(default=10, ge=1, le=1440)
    # How far back the first pull reaches, before there is a cursor.
    first_pull_days: int = Field(default=30, ge=1, le=3650)
    # Networks the base URL may be in although private (a shop on the office network).
    allowed_networks: list[Annotated[str, StringConstraints(max_length=50)]] = Field(
        default_factory=list, max_length=20
    )
    # The platform's SKU -> ours, where the store names a product otherwise than Orderly does.
    sku_map: dict[Code, Code] = Field(default_factory=dict, max_length=10_000)
    # Our SKUs this channel must not sell: it is shown none of them.
    excluded_skus: list[Code] = Field(default_factory=list, max_length=10_000)
    # Marketplace accounts: Amazon's seller and marketplace ids, Etsy's shop id.
    seller_id: PlatformId | None = None
    marketplace_id: PlatformId | None = None
    shop_id: PlatformId | None = None
    # A platform's own options, by the names docs/channels.md gives for each platform.
    options: dict[Code, OptionValue] = Field(default_factory=dict, max_length=20)

    @model_validator(mode="after")
    def _options_do_not_shadow_settings(self) -> ConnectionSettings:
        shadowed = sorted(set(self.options) & set(type(self).model_fields))
        if shadowed:
            raise ValueError(f"options may not set {', '.join(shadowed)}: they are settings")
        return self

    def for_connector(self) -> dict[str, Any]:
        """The settings as a connector reads them: options beside the settings."""
        return {**self.model_dump(mode="json", exclude={"options"}), **self.options}


class ConnectionIn(Closed):
    channel: Code
    platform: Code
    base_url: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    credentials: dict[Code, Secret]
    settings: ConnectionSettings = Field(default_factory=ConnectionSettings)


class ConnectionPatch(Closed):
    base_url: Annotated[str, StringConstraints(min_length=1, max_length=2000)] | None = None
    # Replaces the whole set: every key the platform needs.
    credentials: dict[Code, Secret] | None = None
    settings: ConnectionSettings | None = None
    active: bool | None = None


class ConnectionError_(BaseModel):
    at: datetime
    activity: str
    code: str
    detail: str


class EventCounts(BaseModel):
    pending: int
    needs_mapping: int
    failed: int


class ConnectionOut(BaseModel):
    id: int
    channel: str
    platform: str
    base_url: str
    webhook_url: str | None
    active: bool
    credential_keys: list[str]
    settings: ConnectionSettings
    health: str
    health_detail: str | None
    checked_at: datetime | None
    webhooks_registered: list[str]
    pull_cursor: str | None
    last_pull_at: datetime | None
    last_push_at: datetime | None
    pending_stock_pushes: int
    pending_pushes: int
    events: EventCounts
    recent_errors: list[ConnectionError_]
    unmapped_skus: list[str]
    notes: list[str]
    # How orders come in, and the platform's limits the connection keeps to.
    orders_in: str
    rate_limits: list[str]
    created_at: datetime


class EventOut(BaseModel):
    id: int
    event_id: str
    topic: str
    platform_order_id: str | None
    status: str
    attempts: int
    last_error: str | None
    order_id: int | None
    received_at: datetime
    processed_at: datetime | None


class SyncQueued(BaseModel):
    connection: int
    queued: str
    skus: int | None = None


class ShareIn(Closed):
    """A channel's share of each SKU's stock: a percent of it, or a fixed number of units."""

    percent: int | None = Field(default=None, ge=0, le=100)
    units: int | None = Field(default=None, ge=0, le=1_000_000)

    @model_validator(mode="after")
    def _one_kind(self) -> ShareIn:
        if (self.percent is None) == (self.units is None):
            raise ValueError("give either percent or units")
        return self


class StockPoolsIn(Closed):
    model: Literal["shared", "allocated"]
    shares: dict[Code, ShareIn] = Field(default_factory=dict, max_length=200)


class StockPoolsOut(BaseModel):
    model: str
    shares: dict[str, dict[str, int]]
