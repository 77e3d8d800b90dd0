"""One SKU sold on Shopify, WooCommerce, BigCommerce and Magento at once: each platform's order
is captured and reserves stock, the stock left is pushed to all four, and each shipment goes
back to its platform with its tracking number. The platforms are their documented fakes."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa

from orderly.connections import service, stock, sync
from orderly.connections.schemas import ConnectionIn
from orderly.connections.service import Installation
from orderly.kit.db import Database
from orderly.kit.vault import vault_for
from orderly.kit.vendor_http import use_clock, use_transport
from orderly.settings import Settings
from tests.clock import MovableClock
from tests.connections.fakes.bigcommerce import FakeBigCommerce
from tests.connections.fakes.magento import FakeMagento
from tests.connections.fakes.shop import FakeShop
from tests.connections.fakes.shopify import FakeShopify
from tests.connections.fakes.woocommerce import FakeWooCommerce
from tests.factories import (
    Org,
    create_channel,
    create_location,
    create_sku,
    install_demo_carriers,
    receive_stock,
    set_boxes,
    ship_order,
)
from tests.orders.helpers import ledger_mismatches

SKU = "MUG-1"
PUBLIC_URL = "https://orderly.example.com"


@pytest.fixture
def clock() -> Iterator[MovableClock]:
    clock = MovableClock()
    use_clock(clock)
    yield clock
    use_clock(None)


@pytest.fixture
def shops(clock: MovableClock) -> Iterator[dict[str, FakeShop]]:
    shops: dict[str, FakeShop] = {
        "shopify": FakeShopify(clock),
        "woocommerce": FakeWooCommerce(clock, host="woocommerce.test"),
        "bigcommerce": FakeBigCommerce(clock),
        "magento": FakeMagento(clock),
    }
    transports = {
        f"https://{name}.test{shop.base_path}": httpx.ASGITransport(app=shop.app)
        for name, shop in shops.items()
    }
    use_transport(transports.get)
    yield shops
    use_transport(None)


@pytest.fixture
def installation(settings: Settings) -> Installation:
    return Installation(allow_private_urls=True, public_url=PUBLIC_URL, vault=vault_for(settings))


async def test_one_sku_sold_on_four_platforms(
    db: Database,
    org: Org,
    client: httpx.AsyncClient,
    shops: dict[str, FakeShop],
    installation: Installation,
) -> None:
    await create_location(db, org, "WH1")
    await create_sku(db, org, SKU)
    await receive_stock(db, org, SKU, "WH1", 10)
    await install_demo_carriers(db, org)
    await set_boxes(db, org, "WH1")

    connections: dict[str, int] = {}
    for name, shop in shops.items():
        shop.add_product(SKU)
        await create_channel(db, org, name)
        async with db.transaction() as tx:
            created = await service.create_connection(
                tx.connection,
                org.id,
                ConnectionIn(
                    channel=name,
                    platform=name,
                    base_url=f"https://{name}.test{shop.base_path}",
                    credentials=shop.credentials,
                ),
                installation=installation,
            )
        connections[name] = created.id
        assert await sync.set_up(db, installation, created.id), name

    # An order on each platform: by webhook where the platform sends them, by pull on Magento.
    platform_orders = {name: shop.place_order([(SKU, 1)]) for name, shop in shops.items()}
    for name, shop in shops.items():
        if name == "magento":
            assert await sync.pull(db, installation, connections[name]) == 1
            continue
        headers, body = shop.order_webhook(platform_orders[name], "created")
        answer = await client.post(
            f"/hooks/{name}/{connections[name]}", content=body, headers=headers
        )
        assert answer.status_code == 200, (name, answer.text)
        assert await sync.retry_waiting_events(db, installation, connections[name]) == 1, name

    order_ids = await _orders_by_platform(db, org)
    assert sorted(order_ids) == sorted(shops)
    assert await _reserved(db, org) == 4

    # The stock left (10 - 4 reserved) reaches all four platforms.
    async with db.transaction() as tx:
        await stock.route_stock_changes(tx.connection)
    for name in shops:
        await sync.push_stock(db, installation, connections[name])
    assert {name: shop.available(SKU) for name, shop in shops.items()} == dict.fromkeys(shops, 6)

    # Each order ships here, and its platform hears of it with the tracking number.
    for name in shops:
        await ship_order(db, org, order_ids[name])
        assert await sync.push_orders(db, installation, connections[name]) == 1, name
        [shipment] = shops[name].shipments_of(platform_orders[name])
        assert shipment["tracking_number"] == await _tracking_number(db, org, order_ids[name])

    assert await _reserved(db, org) == 0
    assert await ledger_mismatches(db, org.id) == []
    for shop in shops.values():
        assert shop.rate_limited == 0


async def _orders_by_platform(db: Database, org: Org) -> dict[str, int]:
    async with db.transaction() as tx:
        rows = await tx.connection.execute(
            sa.text(
                "SELECT c.platform, co.order_id FROM connection_orders co"
                " JOIN connections c ON c.id = co.connection_id WHERE co.org_id = :org"
            ),
            {"org": org.id},
        )
        return {platform: order_id for platform, order_id in rows}


async def _reserved(db: Database, org: Org) -> int:
    async with db.transaction() as tx:
        result = await tx.connection.execute(
            sa.text("SELECT sum(reserved) FROM stock_levels WHERE org_id = :org"), {"org": org.id}
        )
        return int(result.scalar_one())


async def _tracking_number(db: Database, org: Org, order_id: int) -> str:
    async with db.transaction() as tx:
        result = await tx.connection.execute(
            sa.text(
                "SELECT fp.tracking_number FROM fulfillment_parcels fp"
                " JOIN fulfillment_orders fo ON fo.id = fp.fulfillment_order_id"
                " WHERE fo.org_id = :org AND fo.order_id = :order"
            ),
            {"org": org.id, "order": order_id},
        )
        return str(result.scalar_one())
