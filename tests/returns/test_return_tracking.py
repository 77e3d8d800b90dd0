"""A return label's parcel, as its carrier reports it, moves the return, not the order."""

from __future__ import annotations

import httpx

from orderly.kit.db import Database
from orderly.notifications.tasks import dispatch_all
from tests.factories import Org, shipped_order
from tests.fulfillment.helpers import timeline
from tests.returns.helpers import open_return, open_shop
from tests.shipping.factories import event, push, webhook


async def return_with_label(
    client: httpx.AsyncClient, db: Database, org: Org
) -> tuple[dict[str, object], str]:
    await open_shop(db, org)
    placed = await shipped_order(db, org, [("MUG", 1)])
    opened = await open_return(client, org, placed["id"], [(1, 1, "too_small")])
    shipment = await client.get(f"/v1/shipments/{opened['shipment_id']}", headers=org.headers)
    assert shipment.status_code == 200, shipment.text
    return opened, str(shipment.json()["tracking_number"])


async def return_status(client: httpx.AsyncClient, org: Org, return_id: object) -> str:
    found = await client.get(f"/v1/returns/{return_id}", headers=org.headers)
    assert found.status_code == 200, found.text
    return str(found.json()["status"])


class TestReturnParcelTracking:
    async def test_the_carriers_first_scan_puts_the_return_in_transit(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        opened, number = await return_with_label(client, db, org)
        assert opened["status"] == "authorized"
        token, secret = await webhook(client, org)

        pushed = await push(
            client, token, secret, [event(number, "in_transit", "2026-11-25T09:00:00Z")]
        )

        assert pushed.status_code == 200, pushed.text
        assert await return_status(client, org, opened["id"]) == "in_transit"
        events = await client.get(
            f"/v1/orders/{opened['order_id']}/events", params={"limit": 200}, headers=org.headers
        )
        moved = [e for e in events.json()["items"] if e["type"] == "return.in_transit"]
        assert [(e["actor"], e["data"]["number"]) for e in moved] == [("carrier", opened["number"])]

    async def test_its_delivery_is_noted_for_the_returns_desk_and_tells_the_customer_nothing(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        opened, number = await return_with_label(client, db, org)
        token, secret = await webhook(client, org)
        events = [
            event(number, "in_transit", "2026-11-25T09:00:00Z"),
            event(number, "out_for_delivery", "2026-11-26T07:00:00Z"),
            event(number, "delivered", "2026-11-26T11:00:00Z"),
        ]

        assert (await push(client, token, secret, events)).status_code == 200

        assert await return_status(client, org, opened["id"]) == "in_transit"
        kinds = await timeline(client, org, int(str(opened["order_id"])))
        assert "return.parcel_delivered" in kinds
        assert "shipment.delivered" not in kinds
        assert "shipment.out_for_delivery" not in kinds
        await dispatch_all(db)
        messages = await client.get("/v1/notifications", headers=org.headers)
        sent_kinds = {m["kind"] for m in messages.json()["items"]}
        assert not sent_kinds & {"delivered", "out_for_delivery"}

    async def test_a_return_received_already_is_not_moved_back(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        opened, number = await return_with_label(client, db, org)
        received = await client.post(
            f"/v1/returns/{opened['id']}/receive",
            json={"lines": [{"line_no": 1, "restock": 1}]},
            headers=org.headers,
        )
        assert received.status_code == 200, received.text
        token, secret = await webhook(client, org)

        await push(client, token, secret, [event(number, "delivered", "2026-11-26T11:00:00Z")])

        assert await return_status(client, org, opened["id"]) == "received"
        assert "return.parcel_delivered" in await timeline(
            client, org, int(str(opened["order_id"]))
        )
