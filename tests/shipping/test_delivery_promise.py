"""The delivery promise: sourcing's plan for a hypothetical order, timed and priced by the
carriers' own quotes, with nothing reserved."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from orderly.kit.db import Database
from tests.factories import (
    BOXES,
    SHIPPING_ADDRESS,
    Org,
    create_location,
    create_sku,
    install_demo_carriers,
    receive_stock,
)
from tests.shipping.scripted_carrier import shop

BOSTON = {k: v for k, v in SHIPPING_ADDRESS.items()}


def asking(lines: list[tuple[str, int]], **extra: Any) -> dict[str, Any]:
    return {
        "lines": [{"sku": sku, "quantity": n} for sku, n in lines],
        "shipping_address": BOSTON,
        **extra,
    }


async def promise(client: httpx.AsyncClient, org: Org, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/v1/delivery-promise", json=body, headers=org.headers)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


@pytest.mark.usefixtures("scripted")
async def test_the_promise_is_the_carriers_estimate_for_the_planned_shipment(
    db: Database, org: Org, client: httpx.AsyncClient
) -> None:
    await shop(db, org)
    answer = await promise(client, org, asking([("MUG", 3)]))
    [shipment] = answer["shipments"]
    assert shipment["location"] == "WH1"
    assert shipment["weight_grams"] == 600
    assert shipment["service"]["carrier"] == f"scripted{org.id}"
    assert answer["arrives_by"] == "2026-12-09"  # the carrier's own estimate
    assert answer["shipping_cost"] == "9.00"
    assert answer["backordered"] == {}
    late = await promise(client, org, asking([("MUG", 3)], requested_delivery_date="2026-12-08"))
    assert late["on_time"] is False
    in_time = await promise(client, org, asking([("MUG", 3)], requested_delivery_date="2026-12-10"))
    assert in_time["on_time"] is True
    async with db.reading() as conn:
        reserved = await conn.execute(
            sa.text("SELECT count(*) FROM order_allocations WHERE org_id = :o"), {"o": org.id}
        )
    assert reserved.scalar_one() == 0  # nothing was reserved


async def test_the_policy_trades_price_against_the_carriers_transit_times(
    db: Database, org: Org, client: httpx.AsyncClient
) -> None:
    await create_location(db, org, "WH1", boxes=BOXES)
    await create_sku(db, org, "MUG")
    await receive_stock(db, org, "MUG", "WH1", 10)
    await install_demo_carriers(db, org)
    cheapest = await promise(client, org, asking([("MUG", 1)]))
    fastest = await promise(client, org, asking([("MUG", 1)], policy="fastest"))
    assert len(cheapest["shipments"][0]["quotes"]) >= 2
    assert fastest["arrives_by"] < cheapest["arrives_by"]
    assert float(fastest["shipping_cost"]) > float(cheapest["shipping_cost"])
    # The cheapest that still arrives by the requested date, when one does.
    by_date = await promise(
        client, org, asking([("MUG", 1)], requested_delivery_date=fastest["arrives_by"])
    )
    assert by_date["arrives_by"] <= fastest["arrives_by"]
    assert by_date["on_time"] is True


async def test_an_unknown_sku_is_422_naming_the_line(
    db: Database, org: Org, client: httpx.AsyncClient
) -> None:
    await create_location(db, org, "WH1", boxes=BOXES)
    response = await client.post(
        "/v1/delivery-promise", json=asking([("NOPE", 1)]), headers=org.headers
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "lines.0.sku"
