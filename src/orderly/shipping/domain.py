"""Shipping rules without I/O: shipments and parcels, rate shopping, the status machine."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

from orderly.shipping.rate_card import RateCard

RatePolicy = Literal["cheapest", "fastest"]
RATE_POLICIES: tuple[RatePolicy, ...] = ("cheapest", "fastest")
DEFAULT_RATE_POLICY: RatePolicy = "cheapest"


class ShipmentStatus(StrEnum):
    LABEL_CREATED = "label_created"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    EXCEPTION = "exception"
    CANCELLED = "cancelled"


class TrackingCode(StrEnum):
    """What a carrier says happened to a parcel; each code leads to one shipment status."""

    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    EXCEPTION = "exception"


S = ShipmentStatus

# The shipment status machine. A move not listed here is ignored (the event is still kept):
# carriers report out of order, and a late "in transit" must not undo a delivery.
TRANSITIONS: dict[ShipmentStatus, frozenset[ShipmentStatus]] = {
    S.LABEL_CREATED: frozenset(
        {S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.DELIVERED, S.EXCEPTION, S.CANCELLED}
    ),
    S.IN_TRANSIT: frozenset({S.OUT_FOR_DELIVERY, S.DELIVERED, S.EXCEPTION}),
    S.OUT_FOR_DELIVERY: frozenset({S.DELIVERED, S.EXCEPTION}),
    S.EXCEPTION: frozenset({S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.DELIVERED}),
    S.DELIVERED: frozenset(),
    S.CANCELLED: frozenset(),
}

STATUS_OF_CODE: dict[TrackingCode, ShipmentStatus] = {
    TrackingCode.IN_TRANSIT: S.IN_TRANSIT,
    TrackingCode.OUT_FOR_DELIVERY: S.OUT_FOR_DELIVERY,
    TrackingCode.DELIVERED: S.DELIVERED,
    TrackingCode.EXCEPTION: S.EXCEPTION,
}

OPEN_STATUSES: frozenset[ShipmentStatus] = frozenset(
    {S.LABEL_CREATED, S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.EXCEPTION}
)


def can_move(current: ShipmentStatus, new: ShipmentStatus) -> bool:
    return new in TRANSITIONS[current]


@dataclass(frozen=True)
class Parcel:
    weight_grams: int
    length_mm: int
    width_mm: int
    height_mm: int

    @property
    def dimensional_weight_grams(self) -> int:
        # Carriers bill the larger of real and volumetric weight; 5000 cm3 per kg is common.
        return (self.length_mm * self.width_mm * self.height_mm + 4999) // 5000

    @property
    def billable_weight_grams(self) -> int:
        return max(self.weight_grams, self.dimensional_weight_grams)

    @property
    def is_oversize(self) -> bool:
        sides = sorted((self.length_mm, self.width_mm, self.height_mm), reverse=True)
        girth = 2 * (sides[1] + sides[2])
        return sides[0] > 1000 or sides[0] + girth > 2650


@dataclass(frozen=True)
class ShipmentRequest:
    """One shipment to quote or label. Addresses are dicts with at least postal_code and country,
    optionally name, company, line1, line2, city, region, phone, latitude, longitude and
    residential (bool)."""

    org_id: int
    ship_from: dict[str, Any]
    ship_to: dict[str, Any]
    parcels: list[Parcel]
    ship_date: date
    reference: str = ""
    hazmat: bool = False

    @property
    def weight_grams(self) -> int:
        return sum(p.weight_grams for p in self.parcels)

    @property
    def residential(self) -> bool:
        flag = self.ship_to.get("residential")
        if isinstance(flag, bool):
            return flag
        return not self.ship_to.get("company")


@dataclass(frozen=True)
class RateQuote:
    carrier: str  # the organization's carrier account code, e.g. "parcelway"
    service: str  # the carrier's service code, e.g. "PW_GROUND"
    service_name: str
    price_minor: int
    currency: str
    transit_days: int
    estimated_delivery: date

    @property
    def key(self) -> str:
        return f"{self.carrier}:{self.service}"


@dataclass(frozen=True)
class Label:
    tracking_number: str
    pdf: bytes
    zpl: str
    cost_minor: int
    currency: str
    service: str
    estimated_delivery: date | None = None


@dataclass(frozen=True)
class TrackingUpdate:
    code: TrackingCode
    occurred_at: datetime
    description: str = ""
    location: str | None = None


@dataclass(frozen=True)
class ShipmentStatusChange:
    shipment_id: int
    order_id: int
    fulfillment_order_id: int | None
    old: ShipmentStatus
    new: ShipmentStatus
    occurred_at: datetime | None = None
    tracking_number: str = ""


def tracking_move(
    status: ShipmentStatus, update: TrackingUpdate, *, last_applied_at: datetime | None
) -> ShipmentStatus | None:
    """The status an update moves the shipment to, or None when it is kept but not applied:
    a move the machine does not allow, or news older than what the shipment already shows."""
    new = STATUS_OF_CODE[update.code]
    if last_applied_at is not None and update.occurred_at < last_applied_at:
        return None
    return new if can_move(status, new) else None


def add_business_days(start: date, days: int) -> date:
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def pick_service(
    quotes: list[RateQuote], *, policy: RatePolicy, promise_date: date | None
) -> RateQuote | None:
    """Cheapest quote that arrives by the promise date (else the fastest), or simply the fastest."""
    if not quotes:
        return None

    def fastest_key(q: RateQuote) -> tuple[date, int, str]:
        return (q.estimated_delivery, q.price_minor, q.key)

    def cheapest_key(q: RateQuote) -> tuple[int, date, str]:
        return (q.price_minor, q.estimated_delivery, q.key)

    if policy == "fastest":
        return min(quotes, key=fastest_key)
    in_time = [q for q in quotes if promise_date is None or q.estimated_delivery <= promise_date]
    if in_time:
        return min(in_time, key=cheapest_key)
    return min(quotes, key=fastest_key)


@dataclass(frozen=True)
class CarrierAccount:
    """An organization's configured carrier, credentials already decrypted."""

    id: int
    org_id: int
    code: str
    name: str
    kind: str
    settings: dict[str, Any] = field(default_factory=dict)
    credentials: dict[str, str] = field(default_factory=dict)
    rate_card: RateCard | None = None
