"""Outside fulfillment tests: a 3PL (or supplier) location with stock, its provider connected
over the API, and the jobs' bodies run as the worker would run them."""

from __future__ import annotations

from typing import Any

import httpx

from orderly.kit.db import Database
from orderly.outside import events, sending, stock, withdrawal
from orderly.outside.access import Installation
from tests.factories import Org, create_location, create_product, place_order, receive_stock

SKU = "MUG"


async def outside_location(
    db: Database,
    org: Org,
    code: str,
    *,
    kind: str = "3pl",
    units: int = 10,
    sku: str = SKU,
    new_sku: bool = True,
) -> None:
    """A location someone else operates with `units` of the SKU (made first, unless
    `new_sku` is False)."""
    await create_location(db, org, code, kind=kind)
    if new_sku:
        await create_product(db, org, sku)
    if units:
        await receive_stock(db, org, sku, code, units)


async def connect(
    client: httpx.AsyncClient, org: Org, code: str, body: dict[str, Any]
) -> dict[str, Any]:
    response = await client.put(f"/v1/locations/{code}/provider", json=body, headers=org.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def provider_id(db: Database, org: Org, code: str) -> int:
    async with db.reading() as conn:
        found = await conn.exec_driver_sql(
            "SELECT p.id FROM fulfillment_providers p JOIN locations l ON l.id = p.location_id"
            f" WHERE p.org_id = {org.id} AND l.code = %(code)s",
            {"code": code},
        )
        return int(found.scalar_one())


class Jobs:
    """The outside jobs of one provider, run in the test's process."""

    def __init__(self, db: Database, installation: Installation, provider: int) -> None:
        self.db, self.installation, self.provider = db, installation, provider

    async def send(self) -> int:
        return await sending.send_orders(self.db, self.installation, self.provider)

    async def poll(self) -> int:
        return await events.poll_provider(self.db, self.installation, self.provider)

    async def stock(self) -> int:
        return await stock.reconcile_stock(self.db, self.installation, self.provider)

    async def withdraw_all(self) -> list[str]:
        """Run the cancellation requests waiting for this provider."""
        async with self.db.reading() as conn:
            rows = await conn.exec_driver_sql(
                "SELECT id FROM provider_orders WHERE provider_id = %(p)s"
                " AND status = 'cancel_requested' ORDER BY id",
                {"p": self.provider},
            )
            ids = [int(r) for r in rows.scalars()]
        return [await withdrawal.withdraw(self.db, self.installation, i) for i in ids]


async def fulfillment_orders(
    client: httpx.AsyncClient, org: Org, order_id: int
) -> list[dict[str, Any]]:
    response = await client.get(
        "/v1/fulfillment-orders", params={"order_id": order_id}, headers=org.headers
    )
    assert response.status_code == 200, response.text
    return sorted(response.json()["items"], key=lambda fo: fo["id"])


async def timeline(client: httpx.AsyncClient, org: Org, order_id: int) -> list[dict[str, Any]]:
    response = await client.get(f"/v1/orders/{order_id}/events", headers=org.headers)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def ledger_rows(db: Database, org: Org, reason: str) -> list[dict[str, Any]]:
    async with db.reading() as conn:
        rows = await conn.exec_driver_sql(
            "SELECT kind, on_hand_delta, reserved_delta, reason FROM stock_ledger"
            f" WHERE org_id = {org.id} AND reason = %(reason)s ORDER BY id",
            {"reason": reason},
        )
        return [dict(r._mapping) for r in rows]


async def order_out(
    db: Database, client: httpx.AsyncClient, org: Org, jobs: Jobs, quantity: int = 2
) -> tuple[dict[str, Any], dict[str, Any]]:
    placed = await place_order(db, org, [(SKU, quantity)])
    assert await jobs.send() == 1
    [fo] = await fulfillment_orders(client, org, placed["id"])
    return placed, fo


async def order_status(client: httpx.AsyncClient, org: Org, order_id: int) -> str:
    response = await client.get(f"/v1/orders/{order_id}", headers=org.headers)
    return str(response.json()["status"])
