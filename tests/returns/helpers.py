"""A shop whose orders ship for real (demo carriers), for the return tests."""

from __future__ import annotations

from typing import Any

import httpx

from orderly.kit.db import Database
from tests.factories import (
    BOXES,
    Org,
    create_location,
    create_product,
    install_demo_carriers,
    receive_many,
    set_channel_settings,
)


async def open_shop(db: Database, org: Org) -> None:
    """WH1 (Newark warehouse, ships and takes returns), ST1 (Boston store, takes returns),
    MUG and HAT with 10 units each at WH1, and the demo carriers."""
    await create_location(
        db, org, "WH1", city="Newark", capabilities=("ship", "returns"), priority=10, boxes=BOXES
    )
    await create_location(
        db, org, "ST1", city="Boston", kind="store", capabilities=("pickup", "returns")
    )
    for sku in ("MUG", "HAT"):
        await create_product(db, org, sku)
    await receive_many(db, org, {("MUG", "WH1"): 10, ("HAT", "WH1"): 10})
    await install_demo_carriers(db, org)


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


async def set_return_policy(db: Database, org: Org, policy: dict[str, Any]) -> None:
    await set_channel_settings(db, org, "web", {"return_policy": policy})


async def ledger(client: httpx.AsyncClient, org: Org, sku: str) -> list[dict[str, Any]]:
    response = await client.get(
        "/v1/inventory/ledger", params={"sku": sku, "limit": 200}, headers=org.headers
    )
    assert response.status_code == 200, response.text
    return list(response.json()["items"])
