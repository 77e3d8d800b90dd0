"""An organization with one object of every kind, created through the API, for the hostile tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from orderly.kit.db import Database
from orderly.shipping import service as shipping
from tests.conftest import Org, make_org
from tests.orders.factories import create_location, create_sku, order_body, receive_stock
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


async def build_world(client: httpx.AsyncClient, db: Database, tag: str) -> World:
    """A location, a SKU with stock, a channel, an order (with its customer and fulfillment
    order), a pick list, a shipment, carriers, an API key and a brand/region/location group.
    `tag` makes every code unique to this organization."""
    org = await make_org(db)
    h = org.headers
    world = World(org)
    location = await create_location(client, h, f"WH{tag}")
    await create_sku(client, h, f"SKU{tag}")
    await receive_stock(client, h, f"SKU{tag}", f"WH{tag}", 50)
    await _ok(await client.put(f"/v1/fulfillment/locations/WH{tag}/boxes", json={"boxes": BOXES},
                               headers=h), 200)  # fmt: skip
    product = (await _ok(await client.get("/v1/products", headers=h), 200))["items"][0]
    channel = await _ok(
        await client.post(
            "/v1/channels", json={"code": f"CH{tag}", "name": "Shop", "kind": "marketplace"},
            headers=h,
        )
    )  # fmt: skip
    body = order_body([(f"SKU{tag}", 1)], external_id=f"EXT{tag}")
    body["customer"] = {**body.get("customer", {}), "email": f"buyer{tag.lower()}@example.com"}
    order = await _ok(await client.post("/v1/orders", json=body, headers=h))
    fos = await _ok(
        await client.get("/v1/fulfillment-orders", params={"order_id": order["id"]}, headers=h),
        200,
    )
    fo = fos["items"][0]
    await _ok(await client.post(f"/v1/fulfillment-orders/{fo['id']}/accept", headers=h), 200)
    pick_list = await _ok(await client.post("/v1/pick-lists", json={"location": f"WH{tag}"},
                                            headers=h))  # fmt: skip
    async with db.transaction() as conn:
        await shipping.install_demo_carriers(conn, org.id)
    shipment = (await buy_labels(db, org, order["id"]))[0]
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
    world.ids = {
        "location_id": location["id"],
        "product_id": product["id"],
        "channel_id": channel["id"],
        "channel_code": f"CH{tag}",
        "order_id": order["id"],
        "customer_id": customers["items"][0]["id"],
        "fo_id": fo["id"],
        "pick_list_id": pick_list["id"],
        "shipment_id": shipment.id,
        "key_id": key["id"],
        "code": f"WH{tag}",
        "carrier_code": carrier["code"],
        "tracking_number": shipment.tracking_number,
        "brand_id": brand["id"],
        "webhook_id": webhook["id"],
    }
    world.markers = {
        f"WH{tag}", f"SKU{tag}", f"CH{tag}", f"EXT{tag}", f"BR{tag}",
        f"buyer{tag.lower()}@example.com", shipment.tracking_number, key["prefix"],
        f"car{tag.lower()}", f"hooks.example.com/{tag}",
    }  # fmt: skip
    return world
