from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from orderly.shipping.domain import (
    DEFAULT_RATE_POLICY,
    RatePolicy,
    ShipmentStatus,
    TrackingCode,
)

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _printable(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_printable),
]
CarrierCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]
Country = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]


class AddressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text | None = None
    company: Text | None = None
    line1: Text | None = None
    line2: Text | None = None
    city: Text | None = None
    region: Text | None = None
    postal_code: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=3, max_length=16)
    ]
    country: Country
    phone: Text | None = None
    email: (
        Annotated[
            str,
            StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$"),
        ]
        | None
    ) = Field(None, description="How the carrier reaches the receiver (some require it)")
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    residential: bool | None = None

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class ParcelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    weight_grams: int = Field(ge=1, le=1_000_000)
    length_mm: int = Field(ge=1, le=10_000)
    width_mm: int = Field(ge=1, le=10_000)
    height_mm: int = Field(ge=1, le=10_000)


class RatesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ship_from: AddressIn
    ship_to: AddressIn
    parcels: list[ParcelIn] = Field(min_length=1, max_length=50)
    ship_date: date | None = Field(default=None, description="Defaults to today (UTC)")
    hazmat: bool = False
    policy: RatePolicy = DEFAULT_RATE_POLICY
    promise_date: date | None = None


class RateQuoteOut(BaseModel):
    carrier: str
    service: str
    service_name: str
    price: str = Field(description="Decimal string, e.g. '7.45'")
    currency: str
    transit_days: int
    estimated_delivery: date


class RatesOut(BaseModel):
    quotes: list[RateQuoteOut]
    recommended: RateQuoteOut | None = Field(
        description="The quote the policy chooses; null when no carrier can take the shipment"
    )


class CarrierAccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: CarrierCode
    name: Text
    kind: Annotated[str, StringConstraints(max_length=64)] = "rate_table"
    settings: dict[str, Any] = Field(default_factory=dict)
    credentials: dict[str, Annotated[str, StringConstraints(max_length=4096)]] = Field(
        default_factory=dict, description="Stored encrypted; never returned"
    )


class RateCardSummary(BaseModel):
    services: list[dict[str, Any]]
    surcharges: list[dict[str, Any]]
    loaded_at: datetime | None = None


class CarrierAccountOut(BaseModel):
    id: int
    code: str
    name: str
    kind: str
    settings: dict[str, Any]
    has_credentials: bool
    rate_card: RateCardSummary | None
    active: bool
    created_at: datetime


class TrackingEventOut(BaseModel):
    code: TrackingCode
    occurred_at: datetime
    description: str
    location: str | None
    applied: bool = Field(description="False when it arrived after a later status was known")


class ShipmentView(BaseModel):
    id: int
    order_id: int
    fulfillment_order_id: int | None
    carrier: str
    service: str
    service_name: str
    tracking_number: str
    # The carrier's number for the whole shipment when it has several parcels (each parcel is a
    # shipment here, with its own tracking number).
    master_tracking_number: str | None = None
    label_purchase_id: int | None = None
    status: ShipmentStatus
    cost: str
    cost_minor: int
    currency: str
    weight_grams: int
    reference: str
    estimated_delivery: date | None
    delivered_at: datetime | None
    created_at: datetime
    updated_at: datetime
    label_pdf_url: str
    label_zpl_url: str
    tracking_url: str
    events: list[TrackingEventOut] = Field(default_factory=list)


class TrackingEventIn(BaseModel):
    tracking_number: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    code: TrackingCode
    occurred_at: AwareDatetime = Field(description="With a UTC offset, e.g. 2026-11-26T09:30:00Z")
    description: Annotated[str, StringConstraints(max_length=500)] = ""
    location: Annotated[str, StringConstraints(max_length=200)] | None = None


class TrackingEventsIn(BaseModel):
    events: list[TrackingEventIn] = Field(min_length=1, max_length=1000)


class StatusChangeOut(BaseModel):
    shipment_id: int
    tracking_number: str
    old: ShipmentStatus
    new: ShipmentStatus


class TrackingEventsOut(BaseModel):
    received: int
    unknown_tracking_numbers: list[str]
    status_changes: list[StatusChangeOut]


class TrackingWebhookOut(BaseModel):
    url: str
    account_token: str
    secret: str = Field(description="Signs pushed events; keep it secret")
    signature_header: str = "X-Orderly-Signature"


LabelPurchaseStatus = Literal["buying", "bought", "failed", "needs_attention", "resolved"]


class LabelPurchaseOut(BaseModel):
    """A label purchase: the intent (our `reference`, which the carrier keeps), the outcome, and
    labels the carrier made that are not in use (`stray_tracking_numbers`: voided, or waiting
    for a person when `status` is needs_attention)."""

    id: int
    reference: str
    order_id: int
    fulfillment_order_id: int | None
    carrier: str | None
    service: str | None
    status: LabelPurchaseStatus
    tracking_number: str | None
    stray_tracking_numbers: list[str]
    attempts: int
    problem: str | None
    created_by: str | None
    created_at: datetime
    updated_at: datetime


class LabelPurchaseResolveIn(BaseModel):
    """What the person found in the carrier account and did about it."""

    model_config = ConfigDict(extra="forbid")

    note: Annotated[str, StringConstraints(min_length=1, max_length=1000, strip_whitespace=True)]


AddressVerdict = Literal["deliverable", "undeliverable", "not_checked"]


class AddressCheckOut(BaseModel):
    """A carrier's verdict on an order's shipping address, and the address it judged."""

    id: int
    order_id: int
    verdict: AddressVerdict
    carrier: str | None
    residential: bool | None
    address: dict[str, Any]
    suggestions: list[dict[str, Any]]
    messages: list[str]
    checked_at: datetime
