"""The connections framework over a platform at the port: the API, the webhook inbox, intake of
platform orders, pulls and stock pushes driven by the ledger."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from orderly.connections import stock, sync
from orderly.connections.port import PlatformOrderState, PlatformPaymentStatus
from orderly.connections.registry import register_platform
from orderly.connections.service import Installation
from orderly.kit.db import Database
from orderly.kit.vault import vault_for
from orderly.settings import Settings
from tests.connections.memory_platform import SHOPS, MemoryConnector, MemoryShop
from tests.factories import (
    Org,
    create_location,
    create_sku,
    make_org,
    order_view,
    receive_stock,
)
from tests.orders.helpers import ledger_mismatches, stock_of

register_platform(MemoryConnector)


@pytest.fixture
def shop() -> Iterator[tuple[str, MemoryShop]]:
    base_url = f"http://127.0.0.1:9/shop-{secrets.token_hex(4)}"
    SHOPS[base_url] = MemoryShop()
    yield base_url, SHOPS[base_url]
    SHOPS.pop(base_url, None)


@pytest.fixture
def installation(settings: Settings) -> Installation:
    return Installation(
        allow_private_urls=True, public_url=settings.public_url, vault=vault_for(settings)
    )


def body(base_url: str, **extra: Any) -> dict[str, Any]:
    return {
        "channel": "web",
        "platform": "memory",
        "base_url": base_url,
        "credentials": {"token": "tok-123", "secret": "shh"},
        **extra,
    }


async def connect(
    client: httpx.AsyncClient, org: Org, base_url: str, **extra: Any
) -> dict[str, Any]:
    response = await client.post(
        "/v1/connections", json=body(base_url, **extra), headers=org.headers
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def stocked(db: Database, org: Org, sku: str = "TEE-1", units: int = 5) -> None:
    await create_location(db, org, "WH1")
    await create_sku(db, org, sku)
    await receive_stock(db, org, sku, "WH1", units)


async def deliver(
    client: httpx.AsyncClient, connection: dict[str, Any], headers: dict[str, str], payload: bytes
) -> httpx.Response:
    path = httpx.URL(connection["webhook_url"]).path
    return await client.post(path, content=payload, headers=headers)


async def announce(
    client: httpx.AsyncClient,
    db: Database,
    installation: Installation,
    connection: dict[str, Any],
    memory: MemoryShop,
    platform_order_id: str,
    event_id: str,
    topic: str = "orders/create",
) -> int:
    """The store sends a webhook for the order, and the job maps what waits; how many mapped."""
    headers, payload = memory.webhook(platform_order_id, event_id=event_id, topic=topic)
    assert (await deliver(client, connection, headers, payload)).status_code == 200
    return await sync.retry_waiting_events(db, installation, connection["id"])


async def inbox(db: Database, connection_id: int) -> list[dict[str, Any]]:
    async with db.transaction() as tx:
        rows = await tx.connection.execute(
            sa.text("SELECT * FROM connection_events WHERE connection_id = :id ORDER BY id"),
            {"id": connection_id},
        )
        return [dict(r._mapping) for r in rows]


async def orders_of(db: Database, org: Org) -> list[dict[str, Any]]:
    async with db.transaction() as tx:
        rows = await tx.connection.execute(
            sa.text("SELECT id, external_id, status FROM orders WHERE org_id = :org ORDER BY id"),
            {"org": org.id},
        )
        return [dict(r._mapping) for r in rows]


class TestConnectingAChannel:
    async def test_the_connection_shows_its_webhook_url_and_never_its_credentials(
        self, client: httpx.AsyncClient, org: Org, shop: tuple[str, MemoryShop], settings: Settings
    ) -> None:
        created = await connect(client, org, shop[0])
        assert created["webhook_url"] == f"{settings.public_url}/hooks/memory/{created['id']}"
        assert created["credential_keys"] == ["secret", "token"]
        assert "tok-123" not in str(created) and "shh" not in str(created)
        assert created["health"] == "unknown"  # creating never waits for the platform
        shown = await client.get(f"/v1/connections/{created['id']}", headers=org.headers)
        assert shown.json()["channel"] == "web"
        assert shown.json()["orders_in"] == "webhooks, and pulled every 10 minutes as a safety net"
        assert "tok-123" not in shown.text

    async def test_bad_input_names_the_field_and_stores_nothing(
        self, client: httpx.AsyncClient, org: Org, shop: tuple[str, MemoryShop]
    ) -> None:
        cases = {
            "platform": body(shop[0], platform="nope"),
            "credentials": body(shop[0], credentials={"token": "t"}),
            "channel": body(shop[0], channel="nowhere"),
            "base_url": body("ftp://example.com"),
        }
        for field, sent in cases.items():
            response = await client.post("/v1/connections", json=sent, headers=org.headers)
            assert response.status_code == 422, (field, response.text)
            assert field in {e["field"] for e in response.json()["errors"]}, response.text
        listed = await client.get("/v1/connections", headers=org.headers)
        assert listed.json()["items"] == []

    async def test_a_channel_has_one_connection_and_another_org_sees_none(
        self, client: httpx.AsyncClient, org: Org, shop: tuple[str, MemoryShop], db: Database
    ) -> None:
        created = await connect(client, org, shop[0])
        again = await client.post("/v1/connections", json=body(shop[0]), headers=org.headers)
        assert again.status_code == 409
        assert again.json()["code"] == "channel_already_connected"
        stranger = await make_org(db)
        for method, path in (
            ("GET", f"/v1/connections/{created['id']}"),
            ("PATCH", f"/v1/connections/{created['id']}"),
            ("DELETE", f"/v1/connections/{created['id']}"),
            ("POST", f"/v1/connections/{created['id']}/sync"),
        ):
            response = await client.request(
                method, path, headers=stranger.headers, json={} if method == "PATCH" else None
            )
            assert response.status_code == 404, (method, path)

    async def test_set_up_checks_subscribes_and_reads_the_catalog(
        self,
        client: httpx.AsyncClient,
        org: Org,
        shop: tuple[str, MemoryShop],
        db: Database,
        installation: Installation,
    ) -> None:
        base_url, memory = shop
        memory.listed = {"TEE-1"}
        await stocked(db, org)
        await create_sku(db, org, "CAP-1")
        created = await connect(client, org, base_url)
        assert await sync.set_up(db, installation, created["id"])
        assert memory.subscribed == [created["webhook_url"]]
        shown = (await client.get(f"/v1/connections/{created['id']}", headers=org.headers)).json()
        assert shown["health"] == "ok"
        assert shown["webhooks_registered"] == ["orders/create", "orders/updated"]
        assert shown["unmapped_skus"] == ["CAP-1"]

    async def test_a_token_the_platform_rotates_is_kept_at_once(
        self,
        client: httpx.AsyncClient,
        org: Org,
        shop: tuple[str, MemoryShop],
        db: Database,
        installation: Installation,
    ) -> None:
        base_url, memory = shop
        memory.rotates_token = True
        created = await connect(client, org, base_url)
        assert await sync.set_up(db, installation, created["id"])
        assert await sync.set_up(db, installation, created["id"])
        async with db.transaction() as tx:
            sealed = (
                await tx.connection.exec_driver_sql(
                    "SELECT credentials_encrypted FROM connections WHERE id = %(id)s",
                    {"id": created["id"]},
                )
            ).scalar_one()
        kept = installation.vault.open_json(sealed)
        assert kept == {"token": "tok-123++", "secret": "shh"}

    async def test_a_platform_that_is_down_shows_on_the_connection(
        self,
        client: httpx.AsyncClient,
        org: Org,
        shop: tuple[str, MemoryShop],
        db: Database,
        installation: Installation,
    ) -> None:
        shop[1].down = True
        created = await connect(client, org, shop[0])
        assert not await sync.set_up(db, installation, created["id"])
        shown = (await client.get(f"/v1/connections/{created['id']}", headers=org.headers)).json()
        assert shown["health"] == "unreachable"
        assert shown["recent_errors"][0]["code"] == "platform_unavailable"


class TestWebhooksIn:
    async def test_a_bad_or_missing_signature_is_401_and_nothing_is_stored(
        self, client: httpx.AsyncClient, org: Org, shop: tuple[str, MemoryShop], db: Database
    ) -> None:
        base_url, memory = shop
        created = await connect(client, org, base_url)
        order = memory.place("1001", [("TEE-1", 1)])
        headers, payload = memory.webhook(order.platform_order_id, event_id="e1")
        forged = {**headers, "x-memory-signature": "0" * 64}
        assert (await deliver(client, created, forged, payload)).status_code == 401
        unsigned = {"content-type": "application/json"}
        assert (await deliver(client, created, unsigned, payload)).status_code == 401
        assert await inbox(db, created["id"]) == []

    async def test_the_same_event_twice_makes_one_order(
        self,
        client: httpx.AsyncClient,
        org: Org,
        shop: tuple[str, MemoryShop],
        db: Database,
        installation: Installation,
    ) -> None:
        base_url, memory = shop
        await stocked(db, org)
        created = await connect(client, org, base_url)
        order = memory.place("1001", [("TEE-1", 2)])
        headers, payload = memory.webhook(order.platform_order_id, event_id="e1")
        for _ in range(2):
            assert (await deliver(client, created, headers, payload)).status_code == 200
        events = await inbox(db, created["id"])
        assert [e["event_id"] for e in events] == ["e1"]
        assert await sync.process_event(db, installation, events[0]["id"]) == "done"
        # A second delivery under another event id (an update) captures nothing new.
        await announce(
            client,
            db,
            installation,
            created,
            memory,
            order.platform_order_id,
            "e2",
            topic="orders/updated",
        )
        placed = await orders_of(db, org)
        assert [(o["external_id"], o["status"]) for o in placed] == [("p1001", "allocated")]
        view = await order_view(db, org, placed[0]["id"])
        assert view["lines"][0]["sku"] == "TEE-1" and view["lines"][0]["quantity"] == 2
        assert view["payment"]["status"] == "captured"
        assert "platform-order:#1001" in view["tags"]

    async def test_a_marketplaces_ship_by_date_becomes_the_orders_promise(
        self,
        client: httpx.AsyncClient,
        org: Org,
        shop: tuple[str, MemoryShop],
        db: Database,
        installation: Installation,
    ) -> None:
        base_url, memory = shop
        await stocked(db, org)
        created = await connect(client, org, base_url)
        deadline = datetime(2026, 11, 3, 18, 0, tzinfo=UTC)
        order = memory.place("1005", [("TEE-1", 1)], ship_by=deadline)
        headers, payload = memory.webhook(order.platform_order_id, event_id="e5")
        await deliver(client, created, headers, payload)
        assert await sync.retry_waiting_events(db, installation, created["id"]) == 1
        [placed] = await orders_of(db, org)
        view = await order_view(db, org, placed["id"])
        assert datetime.fromisoformat(view["ship_by"]) == deadline

    async def test_an_order_without_an_email_is_captured_and_never_mailed(
        self,
        client: httpx.AsyncClient,
        org: Org,
        shop: tuple[str, MemoryShop],
        db: Database,
        installation: Installation,
    ) -> None:
        base_url, memory = shop
        await stocked(db, org)
        created = await connect(client, org, base_url)
        order = memory.place("1006", [("TEE-1", 1)], customer_email=None)
        headers, payload = memory.webhook(order.platform_order_id, event_id="e6")
        await deliver(client, created, headers, payload)
        assert await sync.retry_waiting_events(db, installation, created["id"]) == 1
        [placed] = await orders_of(db, org)
        view = await order_view(db, org, placed["id"])
        assert view["customer"]["email"] == "web-p1006@no-email.invalid"

    async def test_an_order_the_marketplace_fulfils_itself_is_recorded_once_shipped(
        self,
        client: httpx.AsyncClient,
        org: Org,
        shop: tuple[str, MemoryShop],
        db: Database,
        installation: Installation,
    ) -> None:
        base_url, memory = shop
        await stocked(db, org)
        created = await connect(client, org, base_url)
        order = memory.place("1007", [("TEE-1", 2)], fulfilled_by_platform=True)
        headers, payload = memory.webhook(order.platform_order_id, event_id="e7")
        await deliver(client, created, headers, payload)
        await sync.retry_waiting_events(db, installation, created["id"])
        assert await orders_of(db, org) == []  # the marketplace has not shipped it yet

        memory.place(
            "1007",
            [("TEE-1", 2)],
            fulfilled_by_platform=True,
            state=PlatformOrderState.COMPLETED,
            updated_at=memory.tick(),
        )
        headers, payload = memory.webhook(order.platform_order_id, event_id="e8")
        await deliver(client, created, headers, payload)
        await sync.retry_waiting_events(db, installation, created["id"])
        [placed] = await orders_of(db, org)
        view = await order_view(db, org, placed["id"])
        assert view["status"] == "shipped" and "fulfilled_by_marketplace" in view["tags"]
        assert view["lines"][0]["allocations"] == [] and view["lines"][0]["backordered"] == 0
        assert view["payment"]["captured"] == view["total"]
        level = (await stock_of(client, org.headers, "TEE-1"))["WH1"]
        assert (level["on_hand"], level["reserved"]) == (5, 0)  # our stock never moved
        assert await ledger_mismatches(db, org.id) == []

    async def test_an_order_with_no_stock_is_backordered_never_refused(
        self,
        client: httpx.AsyncClient,
        org: Org,
        shop: tuple[str, MemoryShop],
        db: Database,
        installation: Installation,
    ) -> None:
        base_url, memory = shop
        await stocked(db, org, units=1)
        created = await connect(client, org, base_url)
        order = memory.place("1002", [("TEE-1", 3)])
        headers, payload = memory.webhook(order.platform_order_id, event_id="e1")
        await deliver(client, created, headers, payload)
        assert await sync.retry_waiting_events(db, installation, created["id"]) == 1
        assert [o["status"] for o in await orders_of(db, org)] == ["backordered"]
        assert await ledger_mismatches(db, org.id) == []

    async def test_an_unknown_sku_waits_as_needs_mapping_then_is_captured(
        self,
        client: httpx.AsyncClient,
        org: Org,
        shop: tuple[str, MemoryShop],
        db: Database,
        installation: Installation,
    ) -> None:
        base_url, memory = shop
        await stocked(db, org)
        created = await connect(client, org, base_url)
        order = memory.place("1003", [("TEE-1", 1), ("NEW-9", 1)])
        await announce(client, db, installation, created, memory, order.platform_order_id, "e1")
        [event] = await inbox(db, created["id"])
        assert event["status"] == "needs_mapping" and "NEW-9" in event["last_error"]
        shown = (await client.get(f"/v1/connections/{created['id']}", headers=org.headers)).json()
        assert shown["events"]["needs_mapping"] == 1
        assert await orders_of(db, org) == []

        await create_sku(db, org, "NEW-9")
        assert await sync.retry_waiting_events(db, installation, created["id"]) == 1
        assert [o["status"] for o in await orders_of(db, org)] == ["backordered"]

    async def test_a_store_sku_mapped_to_ours_is_captured_as_ours(
        self,
        client: httpx.AsyncClient,
        org: Org,
        shop: tuple[str, MemoryShop],
        db: Database,
        installation: Installation,
    ) -> None:
        base_url, memory = shop
        await stocked(db, org)
        created = await connect(client, org, base_url)
        order = memory.place("1008", [("STORE-TEE", 1)])
        await announce(client, db, installation, created, memory, order.platform_order_id, "e1")
        assert [e["status"] for e in await inbox(db, created["id"])] == ["needs_mapping"]

        mapped = await client.patch(
            f"/v1/connections/{created['id']}",
            json={"settings": {"sku_map": {"STORE-TEE": "TEE-1"}}},
            headers=org.headers,
        )
        assert mapped.status_code == 200, mapped.text
        assert await sync.retry_waiting_events(db, installation, created["id"]) == 1
        [placed] = await orders_of(db, org)
        view = await order_view(db, org, placed["id"])
        assert [line["sku"] for line in view["lines"]] == ["TEE-1"]

    async def test_a_cancellation_on_the_platform_cancels_the_order_and_frees_stock(
        self,
        client: httpx.AsyncClient,
        org: Org,
        shop: tuple[str, MemoryShop],
        db: Database,
        installation: Installation,
    ) -> None:
        base_url, memory = shop
        await stocked(db, org)
        created = await connect(client, org, base_url)
        order = memory.place("1004", [("TEE-1", 2)])
        for event_id, change in (("e1", None), ("e2", "cancel")):
            if change:
                memory.cancel(order.platform_order_id)
            await announce(
                client, db, installation, created, memory, order.platform_order_id, event_id
            )
        assert [o["status"] for o in await orders_of(db, org)] == ["cancelled"]
        async with db.transaction() as tx:
            reserved = await tx.connection.execute(
                sa.text("SELECT sum(reserved) FROM stock_levels WHERE org_id = :org"),
                {"org": org.id},
            )
            assert reserved.scalar() == 0

    async def test_an_address_edited_on_the_platform_reaches_the_unshipped_order(
        self,
        client: httpx.AsyncClient,
        org: Org,
        shop: tuple[str, MemoryShop],
        db: Database,
        installation: Installation,
    ) -> None:
        base_url, memory = shop
        await stocked(db, org)
        created = await connect(client, org, base_url)
        order = memory.place("1005", [("TEE-1", 1)])
        await announce(client, db, installation, created, memory, order.platform_order_id, "e1")
        assert order.shipping_address is not None
        moved = replace(
            order,
            shipping_address=replace(order.shipping_address, line1="9 New Road", city="Trenton"),
            updated_at=memory.tick(),
        )
        memory.orders[order.platform_order_id] = moved
        await announce(client, db, installation, created, memory, order.platform_order_id, "e2")
        [placed] = await orders_of(db, org)
        view = await order_view(db, org, placed["id"])
        assert (view["shipping_address"]["line1"], view["shipping_address"]["city"]) == (
            "9 New Road",
            "Trenton",
        )

    async def test_a_failed_event_is_kept_shown_and_retried_on_request(
        self,
        client: httpx.AsyncClient,
        org: Org,
        shop: tuple[str, MemoryShop],
        db: Database,
        installation: Installation,
    ) -> None:
        base_url, memory = shop
        await stocked(db, org)
        created = await connect(client, org, base_url)
        order = memory.place("1006", [("TEE-1", 1)])
        headers, payload = memory.webhook(order.platform_order_id, event_id="e1")
        await deliver(client, created, headers, payload)
        memory.down = True  # the order cannot be fetched
        await sync.retry_waiting_events(db, installation, created["id"])
        events = await client.get(
            f"/v1/connections/{created['id']}/events?status=failed", headers=org.headers
        )
        [failed] = events.json()
        assert "503" in failed["last_error"]
        memory.down = False
        retried = await client.post(
            f"/v1/connections/{created['id']}/events/{failed['id']}/retry", headers=org.headers
        )
        assert retried.status_code == 200 and retried.json()["status"] == "pending"
        assert await sync.process_event(db, installation, failed["id"]) == "done"
        assert len(await orders_of(db, org)) == 1

    async def test_a_refund_on_the_platform_is_recorded_once_and_never_made_here(
        self,
        client: httpx.AsyncClient,
        org: Org,
        shop: tuple[str, MemoryShop],
        db: Database,
        installation: Installation,
    ) -> None:
        base_url, memory = shop
        await stocked(db, org)
        created = await connect(client, org, base_url)
        order = memory.place("1007", [("TEE-1", 2)])
        await announce(client, db, installation, created, memory, order.platform_order_id, "e1")
        [placed] = await orders_of(db, org)
        refunds = f"/v1/orders/{placed['id']}/refunds"

        here = await client.post(refunds, json={"amount": "5.00"}, headers=org.headers)
        assert here.status_code == 409 and here.json()["code"] == "refund_declined"
        assert "refund the order there" in here.json()["detail"]

        memory.orders[order.platform_order_id] = replace(
            order,
            payment_status=PlatformPaymentStatus.PARTIALLY_REFUNDED,
            refunded_minor=500,
            updated_at=memory.tick(),
        )
        for event_id in ("e2", "e3"):  # the same refund reported twice
            await announce(
                client, db, installation, created, memory, order.platform_order_id, event_id
            )
        listed = (await client.get(refunds, headers=org.headers)).json()
        assert [(r["amount"], r["provider"]) for r in listed] == [("5.00", "memory")]
        view = await order_view(db, org, placed["id"])
        assert view["payment"]["status"] == "partially_refunded"


class TestPulls:
    async def test_a_pull_pages_through_every_change_and_moves_its_cursor(
        self,
        client: httpx.AsyncClient,
        org: Org,
        shop: tuple[str, MemoryShop],
        db: Database,
        installation: Installation,
    ) -> None:
        base_url, memory = shop
        await stocked(db, org, units=100)
        created = await connect(client, org, base_url)
        placed = [memory.place(str(2000 + n), [("TEE-1", 1)]) for n in range(7)]
        assert await sync.pull(db, installation, created["id"]) == 7
        assert len(await orders_of(db, org)) == 7
        memory.cancel(placed[0].platform_order_id)
        memory.place("2100", [("TEE-1", 1)])
        # Only the two changes since the cursor come again.
        assert await sync.pull(db, installation, created["id"]) == 2
        statuses = sorted(o["status"] for o in await orders_of(db, org))
        assert statuses == ["allocated"] * 7 + ["cancelled"]
        shown = (await client.get(f"/v1/connections/{created['id']}", headers=org.headers)).json()
        assert shown["pull_cursor"] == memory.orders["p2100"].updated_at.isoformat()
        assert shown["last_pull_at"] is not None

    async def test_a_pull_while_the_platform_is_down_loses_nothing(
        self,
        client: httpx.AsyncClient,
        org: Org,
        shop: tuple[str, MemoryShop],
        db: Database,
        installation: Installation,
    ) -> None:
        base_url, memory = shop
        await stocked(db, org)
        created = await connect(client, org, base_url)
        memory.place("3001", [("TEE-1", 1)])
        memory.down = True
        assert await sync.pull(db, installation, created["id"]) == 0
        memory.down = False
        assert await sync.pull(db, installation, created["id"]) == 1
        assert len(await orders_of(db, org)) == 1


class TestStockOut:
    async def test_every_change_of_stock_reaches_the_platform_once_per_sku(
        self,
        client: httpx.AsyncClient,
        org: Org,
        shop: tuple[str, MemoryShop],
        db: Database,
        installation: Installation,
    ) -> None:
        base_url, memory = shop
        memory.listed = {"TEE-1", "CAP-1"}
        created = await connect(client, org, base_url, settings={"stock_buffer": 1})
        await sync.set_up(db, installation, created["id"])
        await create_location(db, org, "WH1")
        await create_sku(db, org, "TEE-1")
        await create_sku(db, org, "CAP-1")
        for _ in range(3):  # a burst of receipts
            await receive_stock(db, org, "TEE-1", "WH1", 4)
        await receive_stock(db, org, "CAP-1", "WH1", 1)
        async with db.transaction() as tx:
            routed = await stock.route_stock_changes(tx.connection)
        assert created["id"] in routed
        await sync.push_stock(db, installation, created["id"])
        assert len(memory.stock_calls) == 1  # the burst is one push
        assert memory.shown == {("TEE-1", None): 11, ("CAP-1", None): 0}
        shown = (await client.get(f"/v1/connections/{created['id']}", headers=org.headers)).json()
        assert shown["pending_stock_pushes"] == 0 and shown["last_push_at"] is not None

    async def test_a_sku_excluded_from_the_channel_is_shown_none(
        self,
        client: httpx.AsyncClient,
        org: Org,
        shop: tuple[str, MemoryShop],
        db: Database,
        installation: Installation,
    ) -> None:
        base_url, memory = shop
        memory.listed = {"TEE-1", "CAP-1"}
        created = await connect(client, org, base_url, settings={"excluded_skus": ["CAP-1"]})
        await sync.set_up(db, installation, created["id"])
        await create_location(db, org, "WH1")
        await create_sku(db, org, "TEE-1")
        await create_sku(db, org, "CAP-1")
        await receive_stock(db, org, "TEE-1", "WH1", 4)
        await receive_stock(db, org, "CAP-1", "WH1", 6)
        async with db.transaction() as tx:
            await stock.route_stock_changes(tx.connection)
        await sync.push_stock(db, installation, created["id"])
        assert memory.shown == {("TEE-1", None): 4, ("CAP-1", None): 0}

    async def test_a_resync_pushes_every_sku_and_refusals_stay_pending(
        self,
        client: httpx.AsyncClient,
        org: Org,
        shop: tuple[str, MemoryShop],
        db: Database,
        installation: Installation,
    ) -> None:
        base_url, memory = shop
        memory.listed = {"TEE-1", "CAP-1"}
        memory.refuses = {"CAP-1"}
        await stocked(db, org)
        await create_sku(db, org, "CAP-1")
        created = await connect(client, org, base_url)
        await sync.set_up(db, installation, created["id"])
        queued = await client.post(
            f"/v1/connections/{created['id']}/inventory-resync", headers=org.headers
        )
        assert queued.status_code == 202 and queued.json()["skus"] == 2
        await sync.push_stock(db, installation, created["id"])
        assert memory.shown == {("TEE-1", None): 5}
        shown = (await client.get(f"/v1/connections/{created['id']}", headers=org.headers)).json()
        assert shown["pending_stock_pushes"] == 1
        assert shown["recent_errors"][0]["code"] == "stock_refused"
