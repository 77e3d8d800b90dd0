"""The world each example of the lifecycle machine starts from: a new organization with two
warehouses, a pickup store, a supplier, two SKUs, the channels whose rules differ, a fraud rule
and a customer holding store credit. Set up through the API, like a shop would."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
import sqlalchemy as sa

from orderly.automation import tasks
from orderly.kit.db import Database
from orderly.onboarding import service as onboarding
from orderly.payments import repository as payments_repository
from orderly.shipping import service as shipping
from orderly.tenancy import service as tenancy
from orderly.tenancy.domain import Principal, Role
from tests.fulfillment.helpers import BOXES, create_product
from tests.orders.factories import create_location

SKUS = ("MUG", "HAT")
# Few units, so that orders run short, backorder and re-route.
STOCK = {("MUG", "WH1"): 4, ("MUG", "WH2"): 3, ("MUG", "ST1"): 2, ("HAT", "WH1"): 3}
# The location that ships but takes no returns: a return may not be received there.
NO_RETURNS = "WH2"
CUSTOMER_EMAIL = "ann@example.com"
STORE_CREDIT_MINOR = 20_000
# Billing from Canada for a shipment to Boston: the fraud rule holds the order for review.
SUSPICIOUS_BILLING = {
    "line1": "1 Bay St",
    "city": "Toronto",
    "postal_code": "M5J 2N8",
    "country": "CA",
}
SHIPPING_ADDRESS = {
    "name": "Ann",
    "line1": "5 Elm St",
    "city": "Boston",
    "postal_code": "02110",
    "country": "US",
    "latitude": 42.36,
    "longitude": -71.06,
}


@dataclass
class World:
    """One organization and what the machine knows about it."""

    org_id: int
    headers: dict[str, str]
    principal: Principal
    tracking_account: str
    tracking_secret: str
    customer_id: int
    purchase_order_id: int
    sku_ids: dict[str, int] = field(default_factory=dict)


async def build_world(client: httpx.AsyncClient, db: Database) -> World:
    slug = "life-" + secrets.token_hex(5)
    async with db.transaction() as transaction:
        conn = transaction.connection
        org_id = await onboarding.create_organization(conn, slug)
        key = await tenancy.create_api_key(conn, org_id=org_id, role=Role.ADMIN)
    headers = {"Authorization": f"Bearer {key.key}"}

    await create_location(client, headers, "WH1", capabilities=("ship", "returns"), priority=10)
    await create_location(client, headers, "WH2", city="Chicago", priority=20)
    await create_location(
        client, headers, "ST1", city="Boston", kind="store", capabilities=("pickup", "returns")
    )
    await create_location(client, headers, "SUP1", kind="supplier", capabilities=())
    for sku in SKUS:
        await create_product(client, headers, sku)
    for code in ("WH1", "WH2"):
        await _ok(
            await client.put(
                f"/v1/fulfillment/locations/{code}/boxes", json={"boxes": BOXES}, headers=headers
            )
        )
    receipts = [
        {"sku": sku, "location": location, "delta": units, "reason": "received"}
        for (sku, location), units in STOCK.items()
    ]
    await _ok(
        await client.post(
            "/v1/inventory/adjustments", json={"adjustments": receipts}, headers=headers
        ),
        201,
    )
    await _channels(client, headers)
    await _ok(
        await client.put(
            "/v1/fraud/rules",
            json={"hold_threshold": 100, "rules": [{"rule": "country_mismatch", "score": 100}]},
            headers=headers,
        )
    )
    token = await _ok(await client.get("/v1/tracking/webhook", headers=headers))
    async with db.transaction() as transaction:
        conn = transaction.connection
        await shipping.install_demo_carriers(conn, org_id)
        customer_id = await _customer_with_credit(conn, org_id)
        sku_ids = await _sku_ids(conn, org_id)
    return World(
        org_id=org_id,
        headers=headers,
        principal=Principal(org_id=org_id, role=Role.ADMIN, actor="lifecycle-machine"),
        tracking_account=token["account_token"],
        tracking_secret=token["secret"],
        customer_id=customer_id,
        purchase_order_id=await _open_purchase_order(client, db, org_id, headers),
        sku_ids=sku_ids,
    )


async def _channels(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    """`web` exists already; `b2b` allows backorders; `app` cancels the units it cannot
    source (its routing's backorder policy is cancel_line)."""
    await _ok(
        await client.post(
            "/v1/channels",
            json={"code": "b2b", "name": "B2B", "kind": "b2b", "allow_backorders": True},
            headers=headers,
        ),
        201,
    )
    await _ok(
        await client.post(
            "/v1/channels", json={"code": "app", "name": "App", "kind": "app"}, headers=headers
        ),
        201,
    )
    await _ok(
        await client.put(
            "/v1/routing-configs/channels/app",
            json={"rules": [{"type": "backorder", "policy": "cancel_line"}]},
            headers=headers,
        )
    )


async def _open_purchase_order(
    client: httpx.AsyncClient, db: Database, org_id: int, headers: dict[str, str]
) -> int:
    """A submitted purchase order from SUP1 for both SKUs at WH1, to receive bit by bit."""
    await _ok(
        await client.put(
            "/v1/replenishment/rules",
            json={
                "rules": [
                    {"sku": s, "location": "WH1", "reorder_point": 50, "max_quantity": 100}
                    for s in SKUS
                ]
            },
            headers=headers,
        )
    )
    await _ok(
        await client.put(
            "/v1/replenishment/suppliers",
            json={
                "suppliers": [
                    {"sku": s, "supplier": "SUP1", "cost": "1.00", "currency": "USD"} for s in SKUS
                ]
            },
            headers=headers,
        )
    )
    async with db.transaction() as transaction:
        conn = transaction.connection
        [po_id] = await tasks.draft_purchase_orders(conn, org_id=org_id, today=date(2026, 3, 2))
    await _ok(await client.post(f"/v1/purchase-orders/{po_id}/submit", headers=headers))
    return po_id


async def _customer_with_credit(conn: Any, org_id: int) -> int:
    customer_id: int = (
        await conn.execute(
            sa.text(
                "INSERT INTO customers (org_id, email, name) VALUES (:org_id, :email, 'Ann')"
                " RETURNING id"
            ),
            {"org_id": org_id, "email": CUSTOMER_EMAIL},
        )
    ).scalar_one()
    await payments_repository.add_store_credit(
        conn,
        org_id=org_id,
        customer_id=customer_id,
        currency="USD",
        amount_minor=STORE_CREDIT_MINOR,
        reason="goodwill",
        refund_id=None,
        order_id=None,
        actor="lifecycle-machine",
    )
    return customer_id


async def _sku_ids(conn: Any, org_id: int) -> dict[str, int]:
    rows = await conn.execute(
        sa.text("SELECT code, id FROM skus WHERE org_id = :org_id"), {"org_id": org_id}
    )
    return {r.code: r.id for r in rows}


async def _ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json() if response.content else {}
    return body
