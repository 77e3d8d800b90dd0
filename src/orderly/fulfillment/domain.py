"""Fulfillment rules: the fulfillment order's state machine, box choice, pickup codes. No I/O."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from orderly.kit.errors import IllegalTransition


class FulfillmentStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    PICKING = "picking"
    PACKED = "packed"
    READY_FOR_PICKUP = "ready_for_pickup"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


F = FulfillmentStatus

# The whole state machine of a fulfillment order. A location may reject what it cannot send
# until it has packed it; a store hands picked (or packed) units over at the counter. A location
# operated by others (a 3PL, a supplier) picks and packs out of our sight: what it accepted
# ships from `accepted` (fulfillment.outside); our own locations ship packed parcels only.
TRANSITIONS: dict[FulfillmentStatus, frozenset[FulfillmentStatus]] = {
    F.PENDING: frozenset({F.ACCEPTED, F.REJECTED, F.CANCELLED}),
    F.ACCEPTED: frozenset({F.PICKING, F.SHIPPED, F.REJECTED, F.CANCELLED}),
    F.PICKING: frozenset({F.PACKED, F.READY_FOR_PICKUP, F.REJECTED, F.CANCELLED}),
    F.PACKED: frozenset({F.SHIPPED, F.READY_FOR_PICKUP, F.CANCELLED}),
    F.READY_FOR_PICKUP: frozenset({F.DELIVERED, F.CANCELLED}),
    F.SHIPPED: frozenset({F.DELIVERED}),
    F.DELIVERED: frozenset(),
    F.REJECTED: frozenset(),
    F.CANCELLED: frozenset(),
}

# Statuses in which the fulfillment order still holds reserved units at its location.
OPEN_STATUSES = frozenset({F.PENDING, F.ACCEPTED, F.PICKING, F.PACKED, F.READY_FOR_PICKUP})


def ensure_transition(current: FulfillmentStatus, target: FulfillmentStatus) -> None:
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(
            f"a fulfillment order that is {current.value} cannot become {target.value}",
            extra={"current_status": current.value, "target": target.value},
        )


class RejectReason(StrEnum):
    NOT_FOUND = "not_found"
    DAMAGED = "damaged"
    NO_CAPACITY = "no_capacity"
    # The store sold the units to a customer at its counter: they are sourced again.
    SOLD_AT_COUNTER = "sold_at_counter"
    OTHER = "other"

    @property
    def corrects_stock(self) -> bool:
        """The units are not there to sell: the location's on-hand count was wrong."""
        return self in (RejectReason.NOT_FOUND, RejectReason.DAMAGED)


class PickListStatus(StrEnum):
    OPEN = "open"
    CONFIRMED = "confirmed"


PICK_LIST_TRANSITIONS: dict[PickListStatus, frozenset[PickListStatus]] = {
    PickListStatus.OPEN: frozenset({PickListStatus.CONFIRMED}),
    PickListStatus.CONFIRMED: frozenset(),
}


def ensure_pick_list_transition(current: PickListStatus, target: PickListStatus) -> None:
    if target not in PICK_LIST_TRANSITIONS[current]:
        raise IllegalTransition(
            f"a pick list that is {current.value} cannot become {target.value}",
            extra={"current_status": current.value, "target": target.value},
        )


class ParcelStatus(StrEnum):
    PACKED = "packed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"


@dataclass(frozen=True, slots=True)
class FulfillmentLine:
    line_no: int
    sku_id: int
    quantity: int
    rejected: int = 0
    picked: int | None = None
    packed: int = 0
    shipped: int = 0

    @property
    def wanted(self) -> int:
        """Units this location is still meant to send."""
        return self.quantity - self.rejected

    @property
    def open(self) -> int:
        """Units still reserved here: wanted and not yet out of the door."""
        return self.wanted - self.shipped


# Pick lists ---------------------------------------------------------------------------------


def short_picks(lines: Sequence[FulfillmentLine], picked: dict[int, int]) -> dict[int, int]:
    """Units per line that the picker did not find (a line not reported was picked in full)."""
    short: dict[int, int] = {}
    for line in lines:
        got = picked.get(line.line_no, line.wanted)
        if got < line.wanted:
            short[line.line_no] = line.wanted - got
    return short


def bin_sort_key(bin_code: str | None, sku: str) -> tuple[int, str, str]:
    """Walk order through the warehouse: by bin code, SKUs without a bin last."""
    return (1, "", sku) if bin_code is None else (0, bin_code, sku)


# Packing ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Box:
    code: str
    length_mm: int
    width_mm: int
    height_mm: int
    max_weight_grams: int
    tare_grams: int = 0

    @property
    def volume(self) -> int:
        return self.length_mm * self.width_mm * self.height_mm

    def holds_shape(self, item: PackItem) -> bool:
        """An item fits when its sorted dimensions fit the box's sorted dimensions."""
        if item.dimensions is None:
            return True
        inner = sorted((self.length_mm, self.width_mm, self.height_mm))
        return all(a <= b for a, b in zip(sorted(item.dimensions), inner, strict=True))


@dataclass(frozen=True, slots=True)
class PackItem:
    """One unit of a line to pack. Units without dimensions take no volume."""

    line_no: int
    weight_grams: int
    dimensions: tuple[int, int, int] | None = None

    @property
    def volume(self) -> int:
        if self.dimensions is None:
            return 0
        a, b, c = self.dimensions
        return a * b * c


@dataclass(frozen=True, slots=True)
class PlannedParcel:
    box: Box
    items: tuple[PackItem, ...]

    @property
    def weight_grams(self) -> int:
        return self.box.tare_grams + sum(i.weight_grams for i in self.items)

    def quantities(self) -> dict[int, int]:
        out: dict[int, int] = {}
        for item in self.items:
            out[item.line_no] = out.get(item.line_no, 0) + 1
        return out


class NothingFits(ValueError):
    """An item that no box of the catalogue can hold, by size or weight."""

    def __init__(self, item: PackItem) -> None:
        super().__init__(f"no box holds an item of line {item.line_no}")
        self.item = item


def box_fits(box: Box, items: Sequence[PackItem]) -> bool:
    return (
        all(box.holds_shape(i) for i in items)
        and sum(i.volume for i in items) <= box.volume
        and box.tare_grams + sum(i.weight_grams for i in items) <= box.max_weight_grams
    )


def smallest_box(boxes: Sequence[Box], items: Sequence[PackItem]) -> Box | None:
    """The smallest box (by volume, then weight limit) that holds all these items."""
    for box in sorted(boxes, key=lambda b: (b.volume, b.max_weight_grams, b.code)):
        if box_fits(box, items):
            return box
    return None


def plan_parcels(items: Sequence[PackItem], boxes: Sequence[Box]) -> list[PlannedParcel]:
    """One box when one holds everything (the smallest such); otherwise first-fit decreasing
    into the largest box, each parcel then shrunk to the smallest box that still holds it.

    Volume is a necessary, not a sufficient, condition for a fit: a packer may still choose
    another box, and the pack endpoint takes an explicit choice.
    """
    if not items:
        return []
    one = smallest_box(boxes, items)
    if one is not None:
        return [PlannedParcel(one, tuple(items))]
    for item in items:
        if smallest_box(boxes, [item]) is None:
            raise NothingFits(item)
    largest = max(boxes, key=lambda b: (b.volume, b.max_weight_grams, b.code))
    bins: list[list[PackItem]] = []
    for item in sorted(items, key=lambda i: (i.volume, i.weight_grams), reverse=True):
        for parcel in bins:
            if box_fits(largest, [*parcel, item]):
                parcel.append(item)
                break
        else:
            # A new parcel; an item that only a smaller, stronger box takes stays alone.
            bins.append([item])
    planned = []
    for parcel in bins:
        box = smallest_box(boxes, parcel)
        if box is None:  # pragma: no cover - every item fits some box, checked above
            raise NothingFits(parcel[0])
        planned.append(PlannedParcel(box, tuple(parcel)))
    return planned


# Store pickup -------------------------------------------------------------------------------

# No 0/O, 1/I/L, 2/Z, 5/S or 8/B: a code read aloud or from a phone screen is not mistaken.
PICKUP_CODE_ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
PICKUP_CODE_LENGTH = 8
DEFAULT_PICKUP_EXPIRY_DAYS = 5


@dataclass(frozen=True, slots=True)
class PickupCodeKey:
    """What a pickup code is derived from: the installation's secret key, and the fulfillment
    order with the nonce of its `ready_for_pickup` event. The code itself is never stored:
    the store keeps a keyed hash, the customer's message derives it again."""

    secret: str
    org_id: int
    fulfillment_order_id: int

    def _mac(self, purpose: str, value: str) -> bytes:
        message = f"{purpose}:{self.org_id}:{self.fulfillment_order_id}:{value}"
        return hmac.new(self.secret.encode(), message.encode(), hashlib.sha256).digest()

    def code(self, nonce: str) -> str:
        number = int.from_bytes(self._mac("pickup-code", nonce), "big")
        letters = []
        for _ in range(PICKUP_CODE_LENGTH):
            number, digit = divmod(number, len(PICKUP_CODE_ALPHABET))
            letters.append(PICKUP_CODE_ALPHABET[digit])
        return "".join(letters)

    def hash(self, code: str) -> str:
        return self._mac("pickup-code-hash", normalise_pickup_code(code)).hex()

    def matches(self, code: str, stored: str) -> bool:
        return secrets.compare_digest(self.hash(code), stored) or secrets.compare_digest(
            _unkeyed_hash(self.org_id, self.fulfillment_order_id, code), stored
        )


def new_pickup_nonce() -> str:
    return secrets.token_urlsafe(12)


def normalise_pickup_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").upper()


def _unkeyed_hash(org_id: int, fulfillment_order_id: int, code: str) -> str:
    """The hash kept before codes were derived: pickups made ready before the upgrade still
    collect with the code their customer was given."""
    raw = f"{org_id}:{fulfillment_order_id}:{normalise_pickup_code(code)}"
    return hashlib.sha256(raw.encode()).hexdigest()
