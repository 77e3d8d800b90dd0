"""A 3PL on ShipBob: orders routed there go out, its shipments ship them, its stock counts are
reconciled, and cancellations ask ShipBob first. The fake ShipBob answers over HTTP in process."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from orderly.kit.db import Database
from orderly.outside.access import Installation
from tests.factories import Org, create_location, make_org, place_order, receive_stock
from tests.orders.helpers import ledger_mismatches, stock_of
from tests.outside.fakes.shipbob import FakeShipBob
from tests.outside.helpers import (
    SKU,
    Jobs,
    connect,
    fulfillment_orders,
    ledger_rows,
    order_out,
    order_status,
    outside_location,
    provider_id,
    timeline,
)
from tests.transports import TimingOut

pytestmark = pytest.mark.usefixtures("shipbob_transport")


@pytest.fixture
async def jobs(
    db: Database,
    client: httpx.AsyncClient,
    org: Org,
    shipbob: FakeShipBob,
    installation: Installation,
) -> Jobs:
    """TPL, a 3PL on the fake ShipBob with 10 units of the SKU, and its jobs."""
    return await shipbob_3pl(db, client, org, shipbob, installation)


async def shipbob_3pl(
    db: Database,
    client: httpx.AsyncClient,
    org: Org,
    shipbob: FakeShipBob,
    installation: Installation,
    units: int = 10,
) -> Jobs:
    await outside_location(db, org, "TPL", units=units)
    await connect(
        client,
        org,
        "TPL",
        {
            "kind": "shipbob",
            "settings": {"channel_id": shipbob.channel_id},
            "credentials": {"token": shipbob.token},
        },
    )
    return Jobs(db, installation, await provider_id(db, org, "TPL"))


class TestConnecting:
    async def test_a_warehouse_refuses_a_provider_naming_kind(
        self, db: Database, client: httpx.AsyncClient, org: Org
    ) -> None:
        await create_location(db, org, "WH1")
        response = await client.put(
            "/v1/locations/WH1/provider",
            json={"kind": "shipbob", "settings": {"channel_id": 1}, "credentials": {"token": "t"}},
            headers=org.headers,
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "kind"
        gone = await client.get("/v1/locations/WH1/provider", headers=org.headers)
        assert gone.status_code == 404

    async def test_settings_and_credentials_are_checked_and_the_token_never_shown(
        self, db: Database, client: httpx.AsyncClient, org: Org, shipbob: FakeShipBob
    ) -> None:
        await outside_location(db, org, "TPL")
        bad = await client.put(
            "/v1/locations/TPL/provider",
            json={"kind": "shipbob", "settings": {}, "credentials": {"token": shipbob.token}},
            headers=org.headers,
        )
        assert (bad.status_code, bad.json()["errors"][0]["field"]) == (
            422,
            "settings.channel_id",
        )
        none = await client.put(
            "/v1/locations/TPL/provider",
            json={"kind": "shipbob", "settings": {"channel_id": 5}, "credentials": {}},
            headers=org.headers,
        )
        assert none.json()["errors"][0]["field"] == "credentials"
        shown = await connect(
            client,
            org,
            "TPL",
            {"kind": "shipbob", "settings": {"channel_id": 5}, "credentials": {"token": "s3cr3t!"}},
        )
        assert shown["credential_keys"] == ["token"]
        read = await client.get("/v1/locations/TPL/provider", headers=org.headers)
        assert "s3cr3t!" not in read.text
        assert read.json()["health"] == "unknown"


class TestSendingOut:
    async def test_an_order_goes_out_and_its_shipment_ships_it(
        self,
        db: Database,
        client: httpx.AsyncClient,
        org: Org,
        shipbob: FakeShipBob,
        jobs: Jobs,
    ) -> None:
        placed, fo = await order_out(db, client, org, jobs)
        at_shipbob = shipbob.by_reference(f"FO-{fo['id']}")
        assert at_shipbob["products"][0]["quantity"] == 2
        assert at_shipbob["order_number"] == placed["number"]
        assert await jobs.send() == 0  # nothing goes out twice
        picking = await client.post("/v1/pick-lists", json={"location": "TPL"}, headers=org.headers)
        assert (picking.status_code, picking.json()["code"]) == (409, "location_operated_by_others")

        await jobs.poll()
        [fo] = await fulfillment_orders(client, org, placed["id"])
        assert fo["status"] == "accepted"

        shipbob.ship(f"FO-{fo['id']}", tracking_number="1ZSHIPBOB01", carrier="UPS")
        await jobs.poll()
        [fo] = await fulfillment_orders(client, org, placed["id"])
        assert fo["status"] == "shipped"
        assert [(p["tracking_number"], p["carrier"]) for p in fo["parcels"]] == [
            ("1ZSHIPBOB01", "UPS")
        ]
        assert await order_status(client, org, placed["id"]) == "shipped"
        # The customer follows ShipBob's parcel like one of ours; it is ShipBob's to cancel.
        page = await client.get("/track/1ZSHIPBOB01")
        assert page.status_code == 200 and "UPS" in page.text
        [sent] = (
            await client.get(f"/v1/shipments?order_id={placed['id']}", headers=org.headers)
        ).json()["items"]
        assert (sent["tracking_number"], sent["status"]) == ("1ZSHIPBOB01", "in_transit")
        cancel = await client.post(f"/v1/shipments/{sent['id']}/cancel", headers=org.headers)
        assert (cancel.status_code, cancel.json()["code"]) == (409, "shipment_not_cancellable")
        stock = (await stock_of(client, org.headers, SKU))["TPL"]
        assert (stock["on_hand"], stock["reserved"]) == (8, 0)
        kinds = [e["type"] for e in await timeline(client, org, placed["id"])]
        assert "fulfillment.sent_to_provider" in kinds
        assert "fulfillment.shipped" in kinds
        assert await ledger_mismatches(db, org.id) == []
        health = (await client.get("/v1/locations/TPL/provider", headers=org.headers)).json()
        assert health["health"] == "ok"
        assert health["last_exchange_at"] is not None
        assert health["orders"]["shipped"] == 1

    async def test_a_lost_answer_does_not_create_the_order_twice(
        self,
        db: Database,
        client: httpx.AsyncClient,
        org: Org,
        shipbob: FakeShipBob,
        shipbob_transport: TimingOut,
        jobs: Jobs,
    ) -> None:
        placed = await place_order(db, org, [(SKU, 1)])
        shipbob_transport.lose_next_answers(1)
        assert await jobs.send() == 0
        assert len(shipbob.orders) == 1  # ShipBob made it; we did not hear
        await _time_passes(db, org)
        assert await jobs.send() == 1
        assert len(shipbob.orders) == 1
        events = [e["type"] for e in await timeline(client, org, placed["id"])]
        assert events.count("fulfillment.sent_to_provider") == 1

    async def test_an_order_shipbob_refuses_is_sourced_elsewhere(
        self,
        db: Database,
        client: httpx.AsyncClient,
        org: Org,
        shipbob: FakeShipBob,
        jobs: Jobs,
    ) -> None:
        await create_location(db, org, "WH1", priority=500)
        await receive_stock(db, org, SKU, "WH1", 5)
        placed = await place_order(db, org, [(SKU, 1)])
        shipbob.fail_next(1, status=422)
        assert await jobs.send() == 0
        fos = await fulfillment_orders(client, org, placed["id"])
        assert [(f["location"], f["status"]) for f in fos] == [
            ("TPL", "rejected"),
            ("WH1", "pending"),
        ]
        assert shipbob.orders == {}


class TestNewsAppliedOnce:
    async def test_the_same_shipment_polled_twice_at_once_ships_once(
        self,
        db: Database,
        client: httpx.AsyncClient,
        org: Org,
        shipbob: FakeShipBob,
        jobs: Jobs,
    ) -> None:
        _, fo = await order_out(db, client, org, jobs, quantity=3)
        shipbob.ship(f"FO-{fo['id']}")
        await asyncio.gather(jobs.poll(), jobs.poll(), jobs.poll())
        assert [r["on_hand_delta"] for r in await ledger_rows(db, org, "shipped")] == [-3]
        assert (await stock_of(client, org.headers, SKU))["TPL"]["on_hand"] == 7
        await jobs.poll()
        assert len(await ledger_rows(db, org, "shipped")) == 1
        assert await ledger_mismatches(db, org.id) == []

    async def test_shipbob_cancelling_by_itself_sources_the_units_again(
        self,
        db: Database,
        client: httpx.AsyncClient,
        org: Org,
        shipbob: FakeShipBob,
        jobs: Jobs,
    ) -> None:
        placed, fo = await order_out(db, client, org, jobs)
        shipbob.cancel_here(f"FO-{fo['id']}")
        await jobs.poll()
        [fo] = await fulfillment_orders(client, org, placed["id"])
        assert fo["status"] == "rejected"
        assert await order_status(client, org, placed["id"]) == "backordered"


class TestCancelling:
    async def test_an_order_out_at_shipbob_is_cancelled_once_shipbob_agrees(
        self,
        db: Database,
        client: httpx.AsyncClient,
        org: Org,
        shipbob: FakeShipBob,
        jobs: Jobs,
    ) -> None:
        placed, fo = await order_out(db, client, org, jobs)
        asked = await client.post(
            f"/v1/orders/{placed['id']}/cancel", json={"reason": "customer"}, headers=org.headers
        )
        assert asked.status_code == 202, asked.text
        assert asked.json()["status"] == "allocated"
        assert await jobs.withdraw_all() == ["cancelled"]
        assert await order_status(client, org, placed["id"]) == "cancelled"
        assert shipbob.by_reference(f"FO-{fo['id']}")["status"] == "Cancelled"
        stock = (await stock_of(client, org.headers, SKU))["TPL"]
        assert (stock["on_hand"], stock["reserved"]) == (10, 0)

    async def test_shipbob_refuses_what_has_shipped_and_the_order_ships(
        self,
        db: Database,
        client: httpx.AsyncClient,
        org: Org,
        shipbob: FakeShipBob,
        jobs: Jobs,
    ) -> None:
        placed, fo = await order_out(db, client, org, jobs)
        shipbob.ship(f"FO-{fo['id']}")
        asked = await client.post(
            f"/v1/orders/{placed['id']}/cancel", json={"reason": "customer"}, headers=org.headers
        )
        assert asked.status_code == 202
        assert await jobs.withdraw_all() == ["refused"]
        assert await order_status(client, org, placed["id"]) == "allocated"
        kinds = [e["type"] for e in await timeline(client, org, placed["id"])]
        assert "order.cancellation_refused" in kinds
        await jobs.poll()
        assert await order_status(client, org, placed["id"]) == "shipped"

    async def test_a_fulfillment_order_out_at_shipbob_is_not_rejected_by_hand(
        self,
        db: Database,
        client: httpx.AsyncClient,
        org: Org,
        jobs: Jobs,
    ) -> None:
        _, fo = await order_out(db, client, org, jobs)
        response = await client.post(
            f"/v1/fulfillment-orders/{fo['id']}/reject",
            json={"reason": "other"},
            headers=org.headers,
        )
        assert (response.status_code, response.json()["code"]) == (409, "fulfillment_at_provider")


class TestStockCounts:
    async def test_a_difference_waits_for_a_person_and_is_accepted_once(
        self,
        db: Database,
        client: httpx.AsyncClient,
        org: Org,
        shipbob: FakeShipBob,
        jobs: Jobs,
    ) -> None:
        shipbob.set_stock(SKU, 7)
        assert await jobs.stock() == 1
        assert (await stock_of(client, org.headers, SKU))["TPL"]["on_hand"] == 10
        listed = await client.get("/v1/locations/TPL/provider/differences", headers=org.headers)
        [difference] = listed.json()["items"]
        assert (difference["expected"], difference["counted"], difference["difference"]) == (
            10,
            7,
            -3,
        )
        assert await jobs.stock() == 1  # read again: the same count, one pending difference
        pending = await client.get(
            "/v1/locations/TPL/provider/differences",
            params={"status": "pending"},
            headers=org.headers,
        )
        [difference] = pending.json()["items"]
        url = f"/v1/locations/TPL/provider/differences/{difference['id']}/accept"
        stranger = await make_org(db)
        await create_location(db, stranger, "TPL", kind="3pl")
        theirs = await client.post(url, headers=stranger.headers)
        assert theirs.status_code == 404  # another organization's difference is not found
        first, second = await asyncio.gather(
            client.post(url, headers=org.headers), client.post(url, headers=org.headers)
        )
        assert sorted([first.status_code, second.status_code]) == [200, 409]
        assert (await stock_of(client, org.headers, SKU))["TPL"]["on_hand"] == 7
        rows = await ledger_rows(db, org, "3pl_count")
        assert [(r["kind"], r["on_hand_delta"]) for r in rows] == [("adjusted", -3)]
        assert await ledger_mismatches(db, org.id) == []

    async def test_a_count_below_what_is_reserved_is_refused(
        self,
        db: Database,
        client: httpx.AsyncClient,
        org: Org,
        shipbob: FakeShipBob,
        jobs: Jobs,
    ) -> None:
        await place_order(db, org, [(SKU, 6)])
        shipbob.set_stock(SKU, 4)
        await jobs.stock()
        listed = await client.get("/v1/locations/TPL/provider/differences", headers=org.headers)
        [difference] = listed.json()["items"]
        accepted = await client.post(
            f"/v1/locations/TPL/provider/differences/{difference['id']}/accept",
            headers=org.headers,
        )
        assert (accepted.status_code, accepted.json()["code"]) == (409, "insufficient_stock")
        again = await client.get("/v1/locations/TPL/provider/differences", headers=org.headers)
        assert again.json()["items"][0]["status"] == "pending"
        dismissed = await client.post(
            f"/v1/locations/TPL/provider/differences/{difference['id']}/dismiss",
            headers=org.headers,
        )
        assert dismissed.json()["status"] == "dismissed"
        assert (await stock_of(client, org.headers, SKU))["TPL"]["on_hand"] == 10


async def _time_passes(db: Database, org: Org) -> None:
    """The wait before the next attempt is over."""
    async with db.transaction() as tx:
        await tx.connection.exec_driver_sql(
            "UPDATE provider_orders SET next_attempt_at = now()"
            f" WHERE org_id = {org.id} AND status = 'sending'"
        )
