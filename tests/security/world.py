"""An organization with one object of every kind, for the hostile tests: built through the
services (tests/factories.py) where a factory exists, through the API for the rest."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from orderly.connections import repository as connection_rows
from orderly.fulfillment import picking
from orderly.fulfillment import service as fulfillment
from orderly.fulfillment.schemas import PickListIn
from orderly.kit.clock import utcnow
from orderly.kit.db import Database
from orderly.notifications.tasks import dispatch_all
from orderly.outside import sending, stock
from orderly.outside.access import Installation, provider_row
from orderly.outside.port import StockSnapshot
from orderly.settings import Settings
from tests.factories import (
    Org,
    create_channel,
    create_location,
    create_sku,
    fulfillment_orders_of,
    install_demo_carriers,
    make_org,
    place_order,
    receive_stock,
    set_replenishment,
    ship_order,
)
from tests.outside.helpers import provider_id
from tests.returns.helpers import open_return
from tests.shipping.factories import buy_labels

BOXES = [
    {"code": "S", "length_mm": 300, "width_mm": 250, "height_mm": 200,
     "max_weight_grams": 5000, "tare_grams": 100},
]  # fmt: skip


def carrier_secret(tag: str) -> str:
    return f"carrier-secret-{tag}-7f3a9c"


@dataclass
class World:
    org: Org
    # The id of one object of each kind, by the path parameter that names it.
    ids: dict[str, int | str] = field(default_factory=dict)
    # Codes, numbers and ids that only this organization's data contains.
    markers: set[str] = field(default_factory=set)


async def _ok(response: httpx.Response, status: int = 201) -> Any:
    assert response.status_code == status, response.text
    return response.json()


# The kind of customer message whose template the organization customises.
KIND = "order_confirmed"


async def _return(client: httpx.AsyncClient, db: Database, org: Org, tag: str) -> Any:
    """A second order, picked, packed and shipped, and a return (RMA) of its one unit."""
    order = await place_order(
        db,
        org,
        [(f"SKU{tag}", 1)],
        external_id=f"RMA{tag}",
        customer={"email": f"buyer{tag.lower()}@example.com", "name": "Ann"},
    )
    await ship_order(db, org, order["id"])
    return await open_return(client, org, order["id"], [(1, 1, "damaged")])


async def _purchase_order(client: httpx.AsyncClient, db: Database, org: Org, tag: str) -> Any:
    """A supplier of the SKU and a rule that keeps more of it than there is: the restock run
    drafts a purchase order."""
    await create_location(db, org, f"SUP{tag}", kind="supplier", capabilities=())
    await set_replenishment(
        db,
        org,
        rules=[
            {"sku": f"SKU{tag}", "location": f"WH{tag}", "reorder_point": 100, "max_quantity": 200}
        ],
        suppliers=[
            {"sku": f"SKU{tag}", "supplier": f"SUP{tag}", "cost": "2.50", "currency": "USD"}
        ],
    )
    run = await _ok(await client.post("/v1/replenishment/run", headers=org.headers), 200)
    return run["purchase_orders"][0]


async def _drop_ship(
    client: httpx.AsyncClient, db: Database, org: Org, tag: str, settings: Settings
) -> tuple[str, int]:
    """A supplier DS{tag} that drops-ships DSK{tag} for the channel DC{tag}, connected by
    e-mail: an order sent to it (its purchase order number), and a stock count of the
    supplier's that differs from ours (the difference's id)."""
    await create_location(db, org, f"DS{tag}", kind="supplier")
    await create_sku(db, org, f"DSK{tag}")
    await receive_stock(db, org, f"DSK{tag}", f"DS{tag}", 5)
    await create_channel(db, org, f"DC{tag}", fulfillment_location_kinds=["supplier"])
    await _ok(
        await client.put(
            f"/v1/locations/DS{tag}/provider",
            json={"kind": "email", "settings": {"email": f"orders@ds{tag.lower()}.example"}},
            headers=org.headers,
        ),
        200,
    )
    provider = await provider_id(db, org, f"DS{tag}")
    order = await place_order(
        db, org, [(f"DSK{tag}", 1)], channel=f"DC{tag}", external_id=f"DSO{tag}"
    )
    [fo] = await fulfillment_orders_of(db, org, order["id"])
    assert await sending.send_orders(db, Installation.of(settings), provider) == 1
    row = await provider_row(db, provider)
    counted = StockSnapshot(f"count-{tag}", utcnow(), {f"DSK{tag}": 9})
    assert await stock.record_snapshot(db, row, counted) == 1
    differences = await _ok(
        await client.get(f"/v1/locations/DS{tag}/provider/differences", headers=org.headers),
        200,
    )
    return f"DS-{fo['id']}", differences["items"][0]["id"]


async def _counter_sale(
    client: httpx.AsyncClient, db: Database, org: Org, tag: str
) -> dict[str, Any]:
    """A sale at store ST{tag}'s till, paid in cash."""
    await create_location(db, org, f"ST{tag}", kind="store", capabilities=("pickup",))
    await create_sku(db, org, f"TIL{tag}", list_price={"amount": "3.00", "currency": "USD"})
    await receive_stock(db, org, f"TIL{tag}", f"ST{tag}", 5)
    await create_channel(db, org, f"POS{tag}", kind="pos")
    body = {
        "location": f"ST{tag}",
        "channel": f"POS{tag}",
        "lines": [{"sku": f"TIL{tag}"}],
        "tenders": [{"method": "cash", "amount": "3.00"}],
    }
    return await _ok(await client.post("/v1/pos/sales", json=body, headers=org.headers))


async def build_world(
    client: httpx.AsyncClient, db: Database, tag: str, settings: Settings
) -> World:
    """A location, a SKU with stock, a channel, an order (with its customer and fulfillment
    order), a pick list, a shipment, carriers, an API key and a brand/region/location group,
    a webhook, a return on a second (shipped) order, a purchase order, a customised message
    template, the messages and webhook deliveries the orders' events made, and a drop-ship
    supplier with a purchase order sent and a stock difference to decide.
    `tag` makes every code unique to this organization."""
    org = await make_org(db)
    h = org.headers
    world = World(org)
    location = await create_location(
        db, org, f"WH{tag}", capabilities=("ship", "returns"), boxes=BOXES
    )
    product = await create_sku(db, org, f"SKU{tag}")
    await receive_stock(db, org, f"SKU{tag}", f"WH{tag}", 50)
    channel = await create_channel(db, org, f"CH{tag}", name="Shop", kind="marketplace")
    order = await place_order(
        db,
        org,
        [(f"SKU{tag}", 1)],
        external_id=f"EXT{tag}",
        customer={"email": f"buyer{tag.lower()}@example.com", "name": "Ann"},
    )
    [fo] = await fulfillment_orders_of(db, org, order["id"])
    async with db.transaction() as transaction:
        conn = transaction.connection
        await fulfillment.accept(conn, org.principal, fo["id"])
        pick_list = await picking.create_pick_list(
            conn, org.principal, PickListIn(location=f"WH{tag}")
        )
    await install_demo_carriers(db, org)
    shipment = (await buy_labels(db, org, order["id"]))[0]
    # Shipped before the organization's own carrier (with credentials) exists: the fulfillment
    # ship path opens carrier credentials with the environment's key, not the app's.
    returned = await _return(client, db, org, tag)
    return_label = await _ok(
        await client.get(f"/v1/shipments/{returned['shipment_id']}", headers=h), 200
    )
    customers = await _ok(await client.get("/v1/customers", headers=h), 200)
    key = await _ok(await client.post("/v1/api-keys", json={"name": f"k{tag}", "role": "viewer"},
                                      headers=h))  # fmt: skip
    brand = await _ok(await client.post("/v1/brands", json={"code": f"BR{tag}", "name": "B"},
                                        headers=h))  # fmt: skip
    carrier = await _ok(
        await client.post(
            "/v1/carriers",
            json={"code": f"car{tag.lower()}", "name": "Own fleet",
                  "credentials": {"api_secret": carrier_secret(tag)}},
            headers=h,
        )
    )  # fmt: skip
    webhook = await _ok(
        await client.post(
            "/v1/webhooks",
            json={"url": f"https://hooks.example.com/{tag}", "event_types": ["*"]},
            headers=h,
        )
    )
    purchase_order = await _purchase_order(client, db, org, tag)
    po_number, difference_id = await _drop_ship(client, db, org, tag, settings)
    sale = await _counter_sale(client, db, org, tag)
    connection = await _ok(
        await client.post(
            "/v1/connections",
            json={
                "channel": f"CH{tag}",
                "platform": "shopify",
                "base_url": f"https://conn{tag.lower()}.myshopify.com",
                "credentials": {"access_token": f"shpat_{tag}", "client_secret": f"shpss_{tag}"},
            },
            headers=h,
        )
    )
    template = await _ok(
        await client.put(
            f"/v1/notification-templates/{KIND}",
            json={"subject": f"Thanks TPL{tag}", "body_text": f"TPL{tag}", "body_html": ""},
            headers=h,
        ),
        200,
    )
    await dispatch_all(db)
    notifications = await _ok(await client.get("/v1/notifications", headers=h), 200)
    deliveries = await _ok(await client.get("/v1/webhook-deliveries", headers=h), 200)
    async with db.transaction() as transaction:
        event_row_id = await connection_rows.store_event(
            transaction.connection,
            org_id=org.id,
            connection_id=connection["id"],
            event_id=f"evt-{tag}",
            topic="orders/create",
            platform_order_id=f"PO{tag}",
            payload={"id": f"PO{tag}"},
        )
    world.ids = {
        "location_id": location["id"],
        "product_id": product["id"],
        "channel_id": channel["id"],
        "channel_code": f"CH{tag}",
        "order_id": order["id"],
        "customer_id": customers["items"][0]["id"],
        "fo_id": fo["id"],
        "pick_list_id": pick_list.id,
        "shipment_id": shipment.id,
        "purchase_id": shipment.label_purchase_id,
        "key_id": key["id"],
        "code": f"WH{tag}",
        "carrier_code": carrier["code"],
        "tracking_number": shipment.tracking_number,
        "brand_id": brand["id"],
        "webhook_id": webhook["id"],
        "return_id": returned["id"],
        "po_id": purchase_order["id"],
        "kind": template["kind"],
        "notification_id": notifications["items"][0]["id"],
        "delivery_id": deliveries["items"][0]["id"],
        "connection_id": connection["id"],
        "platform": "shopify",
        "event_id": event_row_id or 0,
        "po_number": po_number,
        "difference_id": difference_id,
        "sale_id": sale["order"]["id"],
    }
    world.markers = {
        f"WH{tag}", f"SKU{tag}", f"CH{tag}", f"EXT{tag}", f"BR{tag}",
        f"buyer{tag.lower()}@example.com", shipment.tracking_number, key["prefix"],
        f"car{tag.lower()}", f"hooks.example.com/{tag}", f"RMA{tag}", f"SUP{tag}",
        purchase_order["number"], f"TPL{tag}", return_label["tracking_number"],
        f"conn{tag.lower()}.myshopify.com", f"DSK{tag}", f"DSO{tag}", f"ds{tag.lower()}.example",
        f"TIL{tag}",
    }  # fmt: skip
    return world
