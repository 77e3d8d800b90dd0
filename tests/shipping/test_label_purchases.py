"""Label purchases: the carrier is called with no transaction open, and a lost answer never
ends with two live labels: the carrier's lookup and void settle it, or a person is asked."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from orderly import wiring
from orderly.fulfillment import dispatch
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
from tests.factories import (
    BOXES,
    Org,
    create_location,
    create_sku,
    fulfillment_orders_of,
    order_view,
    place_order,
    receive_stock,
    ship_order,
)


@dataclass
class CarrierBook:
    """What the scripted carrier did, shared by every instance built for one account."""

    offers: set[str]
    lose_next: int = 0
    made: list[tuple[str, str]] = field(default_factory=list)  # (reference, tracking number)
    voided: list[str] = field(default_factory=list)
    while_creating: Callable[[], Awaitable[None]] | None = None

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
            void="void" in offers, find_by_reference="find" in offers, tracking=False
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
        self.book.voided.append(tracking_number)

    async def track(self, tracking_number: str) -> list[TrackingUpdate]:
        raise FeatureNotOffered("no tracking")

    async def validate_address(self, address: dict[str, Any]) -> AddressCheck:
        raise FeatureNotOffered("no address validation")


@pytest.fixture
async def scripted() -> AsyncIterator[None]:
    wiring.install()
    register_carrier("scripted", ScriptedCarrier)
    yield
    register_carrier("scripted", None)


async def shop(db: Database, org: Org, *offers: str) -> CarrierBook:
    """A warehouse with mugs, and one scripted carrier offering `offers` (void, find)."""
    await create_location(db, org, "WH1", boxes=BOXES)
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


async def purchases(db: Database, org: Org) -> list[dict[str, Any]]:
    async with db.reading() as conn:
        rows = await conn.execute(
            sa.text(
                "SELECT status, tracking_number, stray_tracking_numbers AS strays, problem, "
                "reference, attempts FROM label_purchases WHERE org_id = :org ORDER BY id"
            ),
            {"org": org.id},
        )
        return [dict(r._mapping) for r in rows]


async def shipment_numbers(db: Database, org: Org) -> list[str]:
    async with db.reading() as conn:
        rows = await conn.execute(
            sa.text("SELECT tracking_number FROM shipments WHERE org_id = :org ORDER BY id"),
            {"org": org.id},
        )
        return [r.tracking_number for r in rows]


pytestmark = pytest.mark.usefixtures("scripted")


class TestNoTransactionWhileTheCarrierAnswers:
    async def test_the_order_and_its_fulfillment_order_are_not_locked_during_the_call(
        self, db: Database, org: Org
    ) -> None:
        book = await shop(db, org, "void", "find")
        order = await place_order(db, org, [("MUG", 1)])
        seen: list[int] = []

        async def try_the_locks() -> None:
            [fo] = await fulfillment_orders_of(db, org, order["id"])
            async with db.transaction() as tx:
                # NOWAIT fails at once if the shipping request held either row.
                await tx.connection.execute(
                    sa.text("SELECT 1 FROM orders WHERE id = :o FOR UPDATE NOWAIT"),
                    {"o": order["id"]},
                )
                locked = await tx.connection.execute(
                    sa.text("SELECT id FROM fulfillment_orders WHERE id = :f FOR UPDATE NOWAIT"),
                    {"f": fo["id"]},
                )
                seen.extend(r.id for r in locked)

        book.while_creating = try_the_locks
        await ship_order(db, org, order["id"])
        assert len(seen) == 1
        assert (await order_view(db, org, order["id"]))["status"] == "shipped"
        [purchase] = await purchases(db, org)
        assert purchase["status"] == "bought"
        assert purchase["reference"].startswith("LP") and order["number"] in purchase["reference"]
        assert await shipment_numbers(db, org) == book.live()

    async def test_labels_the_order_can_no_longer_use_are_voided(
        self, db: Database, org: Org
    ) -> None:
        book = await shop(db, org, "void")
        order = await place_order(db, org, [("MUG", 1)])

        async def cancel_meanwhile() -> None:
            async with db.transaction() as tx:
                await tx.connection.execute(
                    sa.text("UPDATE fulfillment_orders SET status = 'cancelled' WHERE id = :f"),
                    {"f": fo["id"]},
                )

        [fo] = await fulfillment_orders_of(db, org, order["id"])
        book.while_creating = cancel_meanwhile
        with pytest.raises(Exception, match="cancelled"):
            await ship_order(db, org, order["id"])
        assert book.live() == [] and len(book.voided) == 1
        [purchase] = await purchases(db, org)
        assert purchase["status"] == "resolved" and purchase["strays"] == book.voided
        assert await shipment_numbers(db, org) == []


class TestALostAnswer:
    async def test_a_carrier_that_looks_up_and_voids_ends_with_one_label(
        self, db: Database, org: Org
    ) -> None:
        book = await shop(db, org, "void", "find")
        book.lose_next = 1
        order = await place_order(db, org, [("MUG", 1)])
        await ship_order(db, org, order["id"])
        assert len(book.made) == 2 and len(book.live()) == 1
        [purchase] = await purchases(db, org)
        assert purchase["status"] == "bought"
        assert purchase["strays"] == book.voided
        assert await shipment_numbers(db, org) == book.live()
        assert (await order_view(db, org, order["id"]))["status"] == "shipped"

    async def test_a_carrier_that_only_voids_is_flagged_for_a_person(
        self, db: Database, org: Org
    ) -> None:
        book = await shop(db, org, "void")
        book.lose_next = 1
        order = await place_order(db, org, [("MUG", 1)])
        await ship_order(db, org, order["id"])
        [purchase] = await purchases(db, org)
        assert purchase["status"] == "needs_attention"
        assert "second label" in purchase["problem"]
        assert await shipment_numbers(db, org) == [book.made[-1][1]]

    async def test_a_carrier_that_can_neither_look_up_nor_void_stops_and_asks(
        self, db: Database, org: Org
    ) -> None:
        book = await shop(db, org)
        book.lose_next = 1
        order = await place_order(db, org, [("MUG", 1)])
        with pytest.raises(LabelOutcomeUnknown):
            await ship_order(db, org, order["id"])
        assert len(book.made) == 1  # never bought blindly a second time
        [purchase] = await purchases(db, org)
        assert purchase["status"] == "needs_attention"
        assert purchase["reference"] in purchase["problem"]
        assert (await order_view(db, org, order["id"]))["status"] != "shipped"
        # A person has looked: shipping again buys one more label, once.
        [fo] = await fulfillment_orders_of(db, org, order["id"])
        await dispatch.ship(db, org.principal, fo["id"], parcel_ids=None, service_code=None)
        assert len(book.made) == 2
        assert (await order_view(db, org, order["id"]))["status"] == "shipped"

    async def test_two_lost_answers_in_a_row_leave_it_to_a_person(
        self, db: Database, org: Org
    ) -> None:
        book = await shop(db, org, "void", "find")
        book.lose_next = 2
        order = await place_order(db, org, [("MUG", 1)])
        with pytest.raises(LabelOutcomeUnknown):
            await ship_order(db, org, order["id"])
        [purchase] = await purchases(db, org)
        assert purchase["status"] == "needs_attention"
        assert "two answers" in purchase["problem"]


class TestAPersonResolvesIt:
    async def test_the_flag_is_listed_and_resolved_once(
        self, db: Database, org: Org, client: httpx.AsyncClient
    ) -> None:
        book = await shop(db, org)
        book.lose_next = 1
        order = await place_order(db, org, [("MUG", 1)])
        with pytest.raises(LabelOutcomeUnknown):
            await ship_order(db, org, order["id"])
        listed = await client.get(
            "/v1/label-purchases", params={"status": "needs_attention"}, headers=org.headers
        )
        assert listed.status_code == 200, listed.text
        [flagged] = listed.json()["items"]
        assert flagged["order_id"] == order["id"] and flagged["carrier"] == f"scripted{org.id}"
        url = f"/v1/label-purchases/{flagged['id']}/resolve"
        note = {"note": "no label with this reference in the carrier account"}
        resolved = await client.post(url, json=note, headers=org.headers)
        assert resolved.status_code == 200, resolved.text
        assert resolved.json()["status"] == "resolved"
        assert "no label with this reference" in resolved.json()["problem"]
        again = await client.post(url, json=note, headers=org.headers)
        assert again.status_code == 409 and again.json()["code"] == "label_purchase_not_open"
        empty = await client.post(url, json={"note": " "}, headers=org.headers)
        assert empty.status_code == 422 and "note" in empty.text
