"""SLA watch: an order not shipped by its promise date is flagged once, with an `order.late`
event, and counted per location in the late-shipments report."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from orderly.automation import tasks
from orderly.kit.db import Database
from orderly.tenancy.domain import Role
from tests.automation.helpers import event_types, get, shop_with_backorders
from tests.factories import Org, key_for, make_org, place_order, receive_stock


async def flag(db: Database, org: Org, now: datetime) -> list[int]:
    async with db.transaction() as transaction:
        conn = transaction.connection
        return await tasks.flag_late_orders(conn, org_id=org.id, now=now)


def created(order: dict[str, object]) -> datetime:
    return datetime.fromisoformat(str(order["created_at"]))


class TestLateOrders:
    async def test_an_unshipped_order_is_flagged_once_after_two_days(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        await shop_with_backorders(db, org, "MUG")
        await receive_stock(db, org, "MUG", "WH1", 5)
        order = await place_order(db, org, [("MUG", 1)], channel="b2b")
        assert await flag(db, org, created(order) + timedelta(days=1, hours=23)) == []
        assert await flag(db, org, created(order) + timedelta(days=2, hours=1)) == [order["id"]]
        assert await flag(db, org, created(order) + timedelta(days=3)) == []
        assert (await event_types(client, org, order["id"])).count("order.late") == 1

    async def test_the_channel_and_the_requested_date_set_the_promise(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        await shop_with_backorders(db, org, "MUG")
        response = await client.patch(
            "/v1/channels/" + str((await get(client, org, "/v1/channels"))["items"][-1]["id"]),
            json={"settings": {"ship_within_days": 5}},
            headers=org.headers,
        )
        assert response.status_code == 200, response.text
        slow = await place_order(db, org, [("MUG", 1)], channel="b2b")
        day = (created(slow) + timedelta(days=1)).date()
        dated = await place_order(
            db, org, [("MUG", 1)], requested_delivery_date=day.isoformat(), channel="b2b"
        )
        three_days_on = created(slow) + timedelta(days=3)
        assert await flag(db, org, three_days_on) == [dated["id"]]
        assert await flag(db, org, created(slow) + timedelta(days=5, hours=1)) == [slow["id"]]

    async def test_a_marketplace_deadline_is_warned_of_before_and_flagged_after(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        await shop_with_backorders(db, org, "MUG")
        await receive_stock(db, org, "MUG", "WH1", 5)
        probe = await place_order(db, org, [("MUG", 1)], channel="b2b")
        ship_by = created(probe) + timedelta(hours=30)
        order = await place_order(db, org, [("MUG", 1)], channel="b2b", ship_by=ship_by.isoformat())
        assert order["ship_by"] is not None
        # 20 hours before the deadline: nothing; 10 hours before: warned, once.
        assert await flag(db, org, ship_by - timedelta(hours=20)) == []
        assert "order.ship_by_soon" not in await event_types(client, org, order["id"])
        await flag(db, org, ship_by - timedelta(hours=10))
        await flag(db, org, ship_by - timedelta(hours=9))
        events = await event_types(client, org, order["id"])
        assert events.count("order.ship_by_soon") == 1 and "order.late" not in events
        # The deadline, not two days after the order, is its promise.
        assert await flag(db, org, ship_by + timedelta(minutes=1)) == [order["id"]]

    async def test_a_cancelled_order_is_never_late(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        await shop_with_backorders(db, org, "MUG")
        order = await place_order(db, org, [("MUG", 1)], channel="b2b")
        response = await client.post(
            f"/v1/orders/{order['id']}/cancel", json={"reason": "changed mind"}, headers=org.headers
        )
        assert response.status_code == 200
        assert await flag(db, org, created(order) + timedelta(days=10)) == []


class TestReport:
    async def test_late_shipments_per_location(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        await shop_with_backorders(db, org, "MUG")
        await receive_stock(db, org, "MUG", "WH1", 2)
        first = await place_order(db, org, [("MUG", 1)], channel="b2b")
        await place_order(db, org, [("MUG", 1)], channel="b2b")
        await place_order(db, org, [("MUG", 1)], channel="b2b")  # backordered: no location yet
        await flag(db, org, created(first) + timedelta(days=4))
        report = await get(client, org, "/v1/reports/late-shipments", group_by="location")
        assert report == {
            "group_by": "location",
            "total": 3,
            "items": [
                {"location": "WH1", "late_orders": 2},
                {"location": None, "late_orders": 1},
            ],
        }

    async def test_late_shipments_per_channel(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        await shop_with_backorders(db, org, "MUG")
        await receive_stock(db, org, "MUG", "WH1", 5)
        first = await place_order(db, org, [("MUG", 1)], channel="b2b")
        await place_order(db, org, [("MUG", 1)], channel="b2b")
        await place_order(db, org, [("MUG", 1)])
        await flag(db, org, created(first) + timedelta(days=4))
        report = await get(client, org, "/v1/reports/late-shipments", group_by="channel")
        assert report == {
            "group_by": "channel",
            "total": 3,
            "items": [
                {"channel": "b2b", "late_orders": 2},
                {"channel": "web", "late_orders": 1},
            ],
        }

    async def test_other_grouping_422_and_other_org_sees_nothing(
        self, client: httpx.AsyncClient, db: Database, org: Org
    ) -> None:
        response = await client.get(
            "/v1/reports/late-shipments", params={"group_by": "carrier"}, headers=org.headers
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "group_by"
        other = await make_org(db)
        assert (await get(client, other, "/v1/reports/late-shipments"))["total"] == 0
        viewer = await key_for(db, org, Role.VIEWER)
        response = await client.get("/v1/reports/late-shipments", headers=viewer)
        assert response.status_code == 200
