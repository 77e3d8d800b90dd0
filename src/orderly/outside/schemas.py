"""The API's shapes for locations operated by others: a provider connected, its health, its stock
differences, and a supplier's confirmation of a drop-ship order."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class ProviderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Annotated[str, StringConstraints(max_length=40)] = Field(
        description="shipbob, sftp (a 3PL's or a supplier's file exchange) or email (a supplier)"
    )
    settings: dict[str, Any] = Field(default_factory=dict, max_length=50)
    credentials: dict[
        Annotated[str, StringConstraints(max_length=64)],
        Annotated[str, StringConstraints(max_length=20_000)],
    ] = Field(default_factory=dict, max_length=10, description="Stored encrypted, never shown")
    active: bool = True


class ProviderErrorOut(BaseModel):
    at: datetime
    activity: str
    code: str
    detail: str
    source: str | None = None
    row: int | None = None


class ProviderOrderCounts(BaseModel):
    sending: int = 0
    sent: int = 0
    cancel_requested: int = 0
    shipped: int = 0
    cancelled: int = 0
    refused: int = 0


class ProviderOut(BaseModel):
    location: str
    kind: str
    active: bool
    settings: dict[str, Any]
    credential_keys: list[str]
    health: str = Field(description="unknown, ok, unreachable, credentials_refused or refused")
    health_detail: str | None
    last_exchange_at: datetime | None = Field(description="Last exchange that went through")
    last_error_at: datetime | None
    last_poll_at: datetime | None
    last_stock_at: datetime | None
    orders: ProviderOrderCounts
    pending_differences: int
    recent_errors: list[ProviderErrorOut]
    webhook_url: str | None = None
    notes: list[str]
    created_at: datetime


class DifferenceOut(BaseModel):
    id: int
    location: str
    sku: str
    snapshot_id: str
    counted_at: datetime
    expected: int = Field(description="Our on-hand units when the snapshot was read")
    counted: int = Field(description="The provider's on-hand units")
    difference: int = Field(description="counted - expected: what accepting adds to on_hand")
    on_hand_now: int
    status: Literal["pending", "accepted", "dismissed", "superseded"]
    decided_by: str | None
    decided_at: datetime | None


class DifferencesOut(BaseModel):
    items: list[DifferenceOut]


class ConfirmedLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: ShortText
    quantity: Annotated[int, Field(ge=1, le=1_000_000)]


class ConfirmationIn(BaseModel):
    """A supplier's word on a drop-ship order: shipped (with its tracking), or not sent."""

    model_config = ConfigDict(extra="forbid")

    outcome: Literal["shipped", "not_sent"] = "shipped"
    carrier: ShortText | None = None
    tracking_number: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=64)] | None
    ) = None
    lines: list[ConfirmedLine] | None = Field(
        default=None, max_length=200, description="What left, by our SKU; everything by default"
    )
    reason: ShortText | None = None
    token: Annotated[str, StringConstraints(max_length=64)] | None = Field(
        default=None, description="The link's token, when the supplier confirms from its e-mail"
    )


class ConfirmationOut(BaseModel):
    po_number: str
    status: str
    fulfillment_order_id: int
    order_id: int
    fulfillment_status: str
