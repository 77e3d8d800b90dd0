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
    RETURNED_TO_SENDER = "returned_to_sender"
    CANCELLED = "cancelled"


class TrackingCode(StrEnum):
    """What a carrier says happened to a parcel; each code leads to one shipment status."""

    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    EXCEPTION = "exception"
    RETURNED_TO_SENDER = "returned_to_sender"


S = ShipmentStatus

# The shipment status machine. A move not listed here is ignored (the event is still kept):
# carriers report out of order, and a late "in transit" must not undo a delivery.
TRANSITIONS: dict[ShipmentStatus, frozenset[ShipmentStatus]] = {
    S.LABEL_CREATED: frozenset(
        {S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.DELIVERED, S.EXCEPTION, S.CANCELLED}
    ),
    S.IN_TRANSIT: frozenset({S.OUT_FOR_DELIVERY, S.DELIVERED, S.EXCEPTION, S.RETURNED_TO_SENDER}),
    S.OUT_FOR_DELIVERY: frozenset({S.DELIVERED, S.EXCEPTION, S.RETURNED_TO_SENDER}),
    S.EXCEPTION: frozenset({S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.DELIVERED, S.RETURNED_TO_SENDER}),
    S.DELIVERED: frozenset(),
    S.RETURNED_TO_SENDER: frozenset(),
    S.CANCELLED: frozenset(),
}

STATUS_OF_CODE: dict[TrackingCode, ShipmentStatus] = {
    TrackingCode.IN_TRANSIT: S.IN_TRANSIT,
    TrackingCode.OUT_FOR_DELIVERY: S.OUT_FOR_DELIVERY,
    TrackingCode.DELIVERED: S.DELIVERED,
    TrackingCode.EXCEPTION: S.EXCEPTION,
    TrackingCode.RETURNED_TO_SENDER: S.RETURNED_TO_SENDER,
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
class CustomsLine:
    """One kind of goods in an international shipment, as the customs declaration lists it."""

    description: str
    hs_code: str  # the Harmonized System code, 6 to 10 digits
    origin_country: str  # ISO 3166-1 alpha-2
    quantity: int
    unit_value_minor: int
    currency: str
    unit_weight_grams: int
    sku: str = ""


@dataclass(frozen=True)
class Customs:
    """What a shipment that crosses a border declares: its goods and who pays the duties."""

    lines: tuple[CustomsLine, ...]
    reason: Literal["sale", "gift", "sample", "return", "repair"] = "sale"
    incoterm: Literal["DAP", "DDP"] = "DAP"  # DAP: the receiver pays duties; DDP: the shipper

    @property
    def declared_value_minor(self) -> int:
        return sum(line.quantity * line.unit_value_minor for line in self.lines)


@dataclass(frozen=True)
class ShipmentRequest:
    """One shipment to quote or label. Addresses are dicts with at least postal_code and country,
    optionally name, company, line1, line2, city, region, phone, email, latitude, longitude and
    residential (bool). `reference` is ours: a label purchase sets it to the purchase's own
    reference, which the carrier keeps on the shipment so that it can be looked up."""

    org_id: int
    ship_from: dict[str, Any]
    ship_to: dict[str, Any]
    parcels: list[Parcel]
    ship_date: date
    reference: str = ""
    hazmat: bool = False
    customs: Customs | None = None

    @property
    def international(self) -> bool:
        return (
            str(self.ship_from.get("country", "")).upper()
            != str(self.ship_to.get("country", "")).upper()
        )

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
class LabelPiece:
    """The label of one parcel of a shipment."""

    tracking_number: str
    pdf: bytes
    zpl: str


@dataclass(frozen=True)
class Label:
    """What a carrier made for a shipment: `tracking_number` is the shipment's (the master
    tracking number of a multi-parcel shipment), `pieces` one label per parcel in the request's
    order. `pdf` and `zpl` hold every piece's label; a carrier that makes only one format leaves
    the other empty."""

    tracking_number: str
    pdf: bytes
    zpl: str
    cost_minor: int
    currency: str
    service: str
    estimated_delivery: date | None = None
    pieces: tuple[LabelPiece, ...] = ()

    def piece_labels(self) -> tuple[LabelPiece, ...]:
        """One piece per parcel; a label without pieces is its own single piece."""
        return self.pieces or (LabelPiece(self.tracking_number, self.pdf, self.zpl),)


@dataclass(frozen=True)
class AddressCheck:
    """A carrier's opinion of an address: whether it can deliver there as written, and the
    corrected forms it suggests (same keys as ShipmentRequest addresses)."""

    deliverable: bool
    residential: bool | None = None
    suggestions: tuple[dict[str, Any], ...] = ()
    messages: tuple[str, ...] = ()


@dataclass(frozen=True)
class CarrierFeatures:
    """What a carrier's API offers beyond rates and labels. What it lacks is said, in the docs
    and on the dashboard, never replaced by a silent no-op."""

    void: bool = True  # a label not yet used can be cancelled (`cancel_label`)
    find_by_reference: bool = False  # `find_labels` finds shipments by our reference
    tracking: bool = True  # `track` is worth polling
    address_validation: bool = False  # `validate_address`
    customs: bool = False  # international shipments with a customs declaration


# What each feature lets Orderly do, in the words the dashboard and the API show.
FEATURE_NAMES = {
    "void": "void an unused label",
    "find_by_reference": "look a shipment up by our reference after a lost answer",
    "tracking": "tracking news on request",
    "address_validation": "address checks",
    "customs": "customs declarations",
}


def offered(features: CarrierFeatures) -> tuple[list[str], list[str]]:
    """The features a carrier offers and those it lacks, by name."""
    offers = [name for name in FEATURE_NAMES if getattr(features, name)]
    return offers, [name for name in FEATURE_NAMES if name not in offers]


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
    # Whether the carrier's base_url may resolve to a private address (development, tests).
    allow_private_urls: bool = False
