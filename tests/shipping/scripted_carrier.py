"""A carrier whose features and lost answers a test sets: it keeps what it made, and the
shipments it was asked to label."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest

from orderly import wiring
from orderly.kit.db import Database
from orderly.shipping import repository as shipping_repository
from orderly.shipping.carriers.base import CarrierAccount
from orderly.shipping.carriers.registry import register_carrier
from orderly.shipping.domain import (
    AddressCheck,
    CarrierFeatures,
    Label,
    LabelPiece,
    RateQuote,
    ShipmentRequest,
    TrackingUpdate,
)
from orderly.shipping.errors import FeatureNotOffered, LabelOutcomeUnknown
from tests.factories import BOXES, Org, create_location, create_sku, receive_stock


@dataclass
class CarrierBook:
    """What the scripted carrier did, shared by every instance built for one account."""

    offers: set[str]
    lose_next: int = 0
    made: list[tuple[str, str]] = field(default_factory=list)  # (reference, tracking number)
    voided: list[str] = field(default_factory=list)
    while_creating: Callable[[], Awaitable[None]] | None = None
    while_voiding: Callable[[], Awaitable[None]] | None = None
    asked: list[ShipmentRequest] = field(default_factory=list)  # shipments it was to label
    # Address validation ("address" in offers): the countries it covers, the postal codes it
    # cannot deliver to, the addresses it was asked about, and an error to raise instead.
    covers: set[str] = field(default_factory=lambda: {"US"})
    undeliverable: set[str] = field(default_factory=set)
    checked: list[dict[str, Any]] = field(default_factory=list)
    address_error: Exception | None = None

    def live(self) -> list[str]:
        return [n for _, n in self.made if n not in self.voided]


BOOKS: dict[str, CarrierBook] = {}
_numbers = itertools.count(7_000_001)


class ScriptedCarrier:
    """A carrier whose features and lost answers the test sets; it keeps what it made."""

    def __init__(self, account: CarrierAccount) -> None:
        self.code = account.code
        self.book = BOOKS[account.code]
        offers = self.book.offers
        self.features = CarrierFeatures(
            void="void" in offers,
            find_by_reference="find" in offers,
            tracking=False,
            customs="customs" in offers,
            address_validation="address" in offers,
        )

    async def rates(self, shipment: ShipmentRequest) -> list[RateQuote]:
        return [
            RateQuote(
                carrier=self.code,
                service="STD",
                service_name="Standard",
                price_minor=900,
                currency="USD",
                transit_days=2,
                estimated_delivery=date(2026, 12, 9),
            )
        ]

    async def create_label(self, shipment: ShipmentRequest, service: str) -> Label:
        self.book.asked.append(shipment)
        if self.book.while_creating is not None:
            await self.book.while_creating()
        numbers = [f"SC{next(_numbers)}" for _ in shipment.parcels]
        pieces = tuple(LabelPiece(n, f"label {n}".encode(), "") for n in numbers)
        self.book.made.append((shipment.reference, numbers[0]))
        if self.book.lose_next:
            self.book.lose_next -= 1
            raise LabelOutcomeUnknown("the carrier's answer was lost")
        return Label(numbers[0], pieces[0].pdf, "", 900, "USD", service, pieces=pieces)

    async def find_labels(self, reference: str, ship_date: date) -> list[str]:
        if not self.features.find_by_reference:
            raise FeatureNotOffered("no lookup")
        return [n for ref, n in self.book.made if ref == reference and n not in self.book.voided]

    async def cancel_label(self, tracking_number: str) -> None:
        if not self.features.void:
            raise FeatureNotOffered("this carrier cannot void a label")
        if self.book.while_voiding is not None:
            await self.book.while_voiding()
        self.book.voided.append(tracking_number)

    async def track(self, tracking_number: str) -> list[TrackingUpdate]:
        raise FeatureNotOffered("no tracking")

    async def validate_address(self, address: dict[str, Any]) -> AddressCheck:
        if not self.features.address_validation or address.get("country") not in self.book.covers:
            raise FeatureNotOffered(f"no address validation in {address.get('country')}")
        self.book.checked.append(address)
        if self.book.address_error is not None:
            raise self.book.address_error
        if address.get("postal_code") in self.book.undeliverable:
            return AddressCheck(
                deliverable=False,
                suggestions=({**address, "postal_code": "02111"},),
                messages=("no such street in this postal code",),
            )
        return AddressCheck(deliverable=True, residential=True)


@pytest.fixture
async def scripted() -> AsyncIterator[None]:
    wiring.install()
    register_carrier("scripted", ScriptedCarrier)
    yield
    register_carrier("scripted", None)


async def shop(db: Database, org: Org, *offers: str) -> CarrierBook:
    """A warehouse in the US shipping to the US and Canada, with mugs, and one scripted carrier
    offering `offers` (void, find, customs)."""
    await create_location(db, org, "WH1", boxes=BOXES, ships_to=["US", "CA"])
    await create_sku(db, org, "MUG")
    await receive_stock(db, org, "MUG", "WH1", 10)
    code = f"scripted{org.id}"
    BOOKS[code] = book = CarrierBook(set(offers))
    async with db.transaction() as tx:
        await shipping_repository.insert_account(
            tx.connection,
            {"org_id": org.id, "code": code, "name": "Scripted", "kind": "scripted"},
        )
    return book
