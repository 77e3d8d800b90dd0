"""A shop whose orders ship for real (demo carriers), for the return tests."""

from __future__ import annotations

from typing import Any

import httpx

from orderly.kit.db import Database
from orderly.shipping import service as shipping
from tests.factories import Org
from tests.fulfillment.helpers import (
    BOXES,
    act,
    confirm,
    create_product,
    fulfillment_orders,
    ok,
    pick,
)
from tests.orders.factories import create_location, order_body, receive_stock


async def open_shop(client: httpx.AsyncClient, db: Database, org: Org) -> None:
    """WH1 (Newark warehouse, ships and takes returns), ST1 (Boston store, takes returns),
    MUG and HAT with 10 units each at WH1, and the demo carriers."""
    await create_location(
        client, org.headers, "WH1", city="Newark", capabilities=("ship", "returns"), priority=10
    )
    await create_location(
        client, org.headers, "ST1", city="Boston", kind="store", capabilities=("pickup", "returns")
    )
    for sku in ("MUG", "HAT"):
        await create_product(client, org.headers, sku)
        await receive_stock(client, org.headers, sku, "WH1", 10)
    response = await client.put(
        "/v1/fulfillment/locations/WH1/boxes", json={"boxes": BOXES}, headers=org.headers
    )
    assert response.status_code == 200, response.text
    async with db.transaction() as conn:
        await shipping.install_demo_carriers(conn, org.id)


async def shipped_order(
    client: httpx.AsyncClient,
    org: Org,
    lines: list[tuple[str, int]] | None = None,
    *,
    overrides: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Place an order and drive it through fulfillment: accept, pick, pack, ship."""
    body = {**order_body(lines or [("MUG", 2)]), **(overrides or {})}
    placed = await ok(await client.post("/v1/orders", json=body, headers=org.headers), 201)
    for fo in await fulfillment_orders(client, org, placed["id"]):
        await ok(await act(client, org, fo["id"], "accept"))
    await confirm(client, org, (await pick(client, org, "WH1"))["id"])
    for fo in await fulfillment_orders(client, org, placed["id"]):
        await ok(await act(client, org, fo["id"], "pack"))
        await ok(await act(client, org, fo["id"], "ship"))
    shipped = await ok(await client.get(f"/v1/orders/{placed['id']}", headers=org.headers))
    assert shipped["status"] == "shipped", shipped
    return shipped


async def open_return(
    client: httpx.AsyncClient,
    org: Org,
    order_id: int,
    lines: list[tuple[int, int, str]],
    *,
    status: int = 201,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body = {
        "order_id": order_id,
        "lines": [{"line_no": n, "quantity": q, "reason": r} for n, q, r in lines],
        **extra,
    }
    response = await client.post("/v1/returns", json=body, headers=headers or org.headers)
    assert response.status_code == status, response.text
    return dict(response.json())


async def post(
    client: httpx.AsyncClient, org: Org, path: str, body: Any = None, status: int = 200
) -> dict[str, Any]:
    response = await client.post(path, json=body, headers=org.headers)
    assert response.status_code == status, response.text
    return dict(response.json())


async def set_return_policy(client: httpx.AsyncClient, org: Org, policy: dict[str, Any]) -> None:
    channels = await ok(await client.get("/v1/channels", headers=org.headers))
    web = next(c for c in channels["items"] if c["code"] == "web")
    response = await client.patch(
        f"/v1/channels/{web['id']}",
        json={"settings": {**web["settings"], "return_policy": policy}},
        headers=org.headers,
    )
    assert response.status_code == 200, response.text


async def ledger(client: httpx.AsyncClient, org: Org, sku: str) -> list[dict[str, Any]]:
    response = await client.get(
        "/v1/inventory/ledger", params={"sku": sku, "limit": 200}, headers=org.headers
    )
    assert response.status_code == 200, response.text
    return list(response.json()["items"])
