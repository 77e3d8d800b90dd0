"""Label purchases: the carrier is called with no transaction open, and a lost answer never
ends with two live labels: the carrier's lookup and void settle it, or a person is asked."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from orderly.fulfillment import dispatch
from orderly.kit.db import Database
from orderly.shipping.errors import LabelOutcomeUnknown
from tests.factories import (
    Org,
    fulfillment_orders_of,
    order_view,
    place_order,
    ship_order,
)
from tests.shipping.scripted_carrier import shop


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


class TestVoidingALabel:
    async def test_the_carrier_voids_with_no_lock_held_then_the_shipment_is_cancelled(
        self, db: Database, org: Org, client: httpx.AsyncClient
    ) -> None:
        book = await shop(db, org, "void")
        order = await place_order(db, org, [("MUG", 1)])
        await ship_order(db, org, order["id"])
        [number] = book.live()
        async with db.reading() as conn:
            shipment_id = (
                await conn.execute(
                    sa.text("SELECT id FROM shipments WHERE tracking_number = :n"), {"n": number}
                )
            ).scalar_one()
        locked: list[int] = []

        async def try_the_lock() -> None:
            async with db.transaction() as tx:
                # NOWAIT fails at once if the cancel request held the shipment's row.
                rows = await tx.connection.execute(
                    sa.text("SELECT id FROM shipments WHERE id = :s FOR UPDATE NOWAIT"),
                    {"s": shipment_id},
                )
                locked.extend(r.id for r in rows)

        book.while_voiding = try_the_lock
        response = await client.post(f"/v1/shipments/{shipment_id}/cancel", headers=org.headers)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "cancelled"
        assert locked == [shipment_id]
        assert book.voided == [number] and book.live() == []


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
