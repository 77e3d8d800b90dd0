"""A ship-back return's label: bought and voided with no transaction open while the carrier
answers, never two for one return, and a label that could not be bought or voided is named on
the return for a person."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from orderly.kit.db import Database
from orderly.shipping.errors import CarrierUnavailable
from tests.factories import Org, create_location, shipped_order
from tests.returns.helpers import open_return, post
from tests.shipping.scripted_carrier import CarrierBook, scripted, shop

pytestmark = pytest.mark.usefixtures(scripted.__name__)


async def returns_desk(db: Database, org: Org, *offers: str) -> CarrierBook:
    """The scripted carrier's shop (WH1 ships), a returns desk RT1, and a shipped order's
    label made already."""
    book = await shop(db, org, *offers)
    await create_location(db, org, "RT1", city="Boston", capabilities=("returns",))
    return book


async def lock_return_rows(db: Database, order_id: int) -> list[int]:
    """The order's returns and the order, locked at once or an error: NOWAIT fails if another
    transaction holds them."""
    async with db.transaction() as tx:
        await tx.connection.execute(
            sa.text("SELECT 1 FROM orders WHERE id = :o FOR UPDATE NOWAIT"), {"o": order_id}
        )
        rows = await tx.connection.execute(
            sa.text("SELECT id FROM returns WHERE order_id = :o FOR UPDATE NOWAIT"),
            {"o": order_id},
        )
        return [r.id for r in rows]


async def purchase_statuses(db: Database, org: Org) -> list[str]:
    async with db.reading() as conn:
        rows = await conn.execute(
            sa.text("SELECT status FROM label_purchases WHERE org_id = :org ORDER BY id"),
            {"org": org.id},
        )
        return [r.status for r in rows]


async def get_return(client: httpx.AsyncClient, org: Org, return_id: int) -> dict[str, Any]:
    response = await client.get(f"/v1/returns/{return_id}", headers=org.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


class TestBuyingTheLabel:
    async def test_the_return_and_its_order_are_not_locked_while_the_carrier_answers(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        book = await returns_desk(db, org, "void")
        placed = await shipped_order(db, org, [("MUG", 1)])
        locked: list[int] = []

        async def try_the_locks() -> None:
            locked.extend(await lock_return_rows(db, placed["id"]))

        book.while_creating = try_the_locks
        opened = await open_return(client, org, placed["id"], [(1, 1, "damaged")])
        assert locked == [opened["id"]]
        assert opened["status"] == "authorized" and opened["label_problem"] is None
        shipment = await client.get(f"/v1/shipments/{opened['shipment_id']}", headers=org.headers)
        assert shipment.json()["reference"] == opened["number"]
        assert shipment.json()["tracking_number"] in book.live()
        # The return's label was asked to come from the customer to the returns desk.
        assert book.asked[-1].ship_to["city"] == "Boston"
        assert await purchase_statuses(db, org) == ["bought", "bought"]

    async def test_a_label_that_cannot_be_bought_leaves_the_return_requested_with_the_reason(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        book = await returns_desk(db, org, "void")
        placed = await shipped_order(db, org, [("MUG", 1)])

        async def carrier_down() -> None:
            raise CarrierUnavailable("the carrier did not answer in time")

        book.while_creating = carrier_down
        headers = {**org.headers, "Idempotency-Key": "rma-open-1"}
        body = {"order_id": placed["id"], "lines": [{"line_no": 1, "quantity": 1,
                                                      "reason": "damaged"}]}  # fmt: skip
        first = await client.post("/v1/returns", json=body, headers=headers)
        assert first.status_code == 201, first.text
        opened = first.json()
        assert opened["status"] == "requested" and opened["shipment_id"] is None
        assert "did not answer in time" in opened["label_problem"]
        # The same request again answers the same: one return, not two.
        again = await client.post("/v1/returns", json=body, headers=headers)
        assert again.status_code == 201 and again.json()["id"] == opened["id"]
        listed = await client.get(
            "/v1/returns", params={"order_id": placed["id"]}, headers=org.headers
        )
        assert len(listed.json()["items"]) == 1

        # Authorizing again, with the carrier back, buys the label and clears the reason.
        refused = await client.post(f"/v1/returns/{opened['id']}/authorize", headers=org.headers)
        assert refused.status_code == 503 and refused.json()["code"] == "carrier_unavailable"
        assert (await get_return(client, org, opened["id"]))["status"] == "requested"
        book.while_creating = None
        authorized = await post(client, org, f"/v1/returns/{opened['id']}/authorize")
        assert authorized["status"] == "authorized" and authorized["label_problem"] is None
        assert authorized["shipment_id"] is not None

    async def test_a_second_authorization_while_the_first_buys_is_refused(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        book = await returns_desk(db, org, "void")
        placed = await shipped_order(db, org, [("MUG", 1)])
        opened = await open_return(client, org, placed["id"], [(1, 1, "damaged")], authorize=False)
        answers: list[httpx.Response] = []

        async def another_click() -> None:
            book.while_creating = None
            answers.append(
                await client.post(f"/v1/returns/{opened['id']}/authorize", headers=org.headers)
            )

        book.while_creating = another_click
        made_before = len(book.made)
        authorized = await post(client, org, f"/v1/returns/{opened['id']}/authorize")
        [second] = answers
        assert second.status_code == 409 and second.json()["code"] == "return_label_being_bought"
        assert authorized["status"] == "authorized"
        assert len(book.made) == made_before + 1

    async def test_a_return_cancelled_while_its_label_is_bought_gets_no_label(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        book = await returns_desk(db, org, "void")
        placed = await shipped_order(db, org, [("MUG", 1)])
        opened = await open_return(client, org, placed["id"], [(1, 1, "damaged")], authorize=False)

        async def cancel_meanwhile() -> None:
            book.while_creating = None
            await post(client, org, f"/v1/returns/{opened['id']}/cancel")

        book.while_creating = cancel_meanwhile
        response = await client.post(f"/v1/returns/{opened['id']}/authorize", headers=org.headers)
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "return_changed_while_buying"
        after = await get_return(client, org, opened["id"])
        assert after["status"] == "cancelled" and after["shipment_id"] is None
        # The label made for it was voided: only the order's own label is live.
        assert len(book.voided) == 1 and len(book.live()) == 1
        assert await purchase_statuses(db, org) == ["bought", "resolved"]


class TestCancelling:
    async def test_the_label_is_voided_with_no_lock_held(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        book = await returns_desk(db, org, "void")
        placed = await shipped_order(db, org, [("MUG", 1)])
        opened = await open_return(client, org, placed["id"], [(1, 1, "damaged")])
        label = (
            await client.get(f"/v1/shipments/{opened['shipment_id']}", headers=org.headers)
        ).json()
        locked: list[int] = []

        async def try_the_locks() -> None:
            locked.extend(await lock_return_rows(db, placed["id"]))

        book.while_voiding = try_the_locks
        cancelled = await post(client, org, f"/v1/returns/{opened['id']}/cancel")
        assert cancelled["status"] == "cancelled" and cancelled["label_problem"] is None
        assert locked == [opened["id"]]
        assert book.voided == [label["tracking_number"]]
        shipment = await client.get(f"/v1/shipments/{label['id']}", headers=org.headers)
        assert shipment.json()["status"] == "cancelled"

    async def test_a_label_the_carrier_cannot_void_is_named_for_a_person(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        book = await returns_desk(db, org)  # a carrier with no void, like DHL Express
        placed = await shipped_order(db, org, [("MUG", 1)])
        opened = await open_return(client, org, placed["id"], [(1, 1, "damaged")])
        cancelled = await post(client, org, f"/v1/returns/{opened['id']}/cancel")
        assert cancelled["status"] == "cancelled"
        assert "not voided" in cancelled["label_problem"]
        assert "cannot void" in cancelled["label_problem"]
        assert book.voided == []
        shipment = await client.get(f"/v1/shipments/{opened['shipment_id']}", headers=org.headers)
        assert shipment.json()["status"] == "label_created"


class TestTheCustomersPage:
    async def test_a_label_not_bought_is_promised_by_e_mail_and_the_return_is_registered(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        book = await returns_desk(db, org, "void")
        placed = await shipped_order(db, org, [("MUG", 1)])

        async def carrier_down() -> None:
            raise CarrierUnavailable("the carrier did not answer in time")

        book.while_creating = carrier_down
        done = await client.post(
            "/returns/submit",
            data={
                "shop": org.slug,
                "number": placed["number"],
                "contact": "a@example.com",
                "qty_1": "1",
                "reason_1": "damaged",
                "method": "ship_back",
            },
        )
        assert done.status_code == 200, done.text
        assert "Your return is registered" in done.text
        assert "Our team will e-mail it to you" in done.text
        assert 'id="label"' not in done.text
        listed = await client.get(
            "/v1/returns", params={"order_id": placed["id"]}, headers=org.headers
        )
        [opened] = listed.json()["items"]
        assert (opened["source"], opened["status"]) == ("customer", "requested")
        assert opened["label_problem"]
