"""The world each example of the lifecycle machine starts from: a new organization with two
warehouses, a pickup store, a supplier, two SKUs, the channels whose rules differ, a fraud rule
and a customer holding store credit. Built through the services (tests/factories.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
import sqlalchemy as sa

from orderly.automation import purchasing, tasks
from orderly.kit.db import Database
from orderly.payments import repository as payments_repository
from orderly.tenancy.domain import Principal, Role
from tests.factories import (
    BOXES,
    Org,
    create_channel,
    create_location,
    create_product,
    install_demo_carriers,
    make_org,
    receive_many,
    set_fraud_rules,
    set_replenishment,
    set_routing_config,
)

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
    org = await make_org(db, prefix="life-")
    await create_location(
        db, org, "WH1", capabilities=("ship", "returns"), priority=10, boxes=BOXES
    )
    await create_location(db, org, "WH2", city="Chicago", priority=20, boxes=BOXES)
    await create_location(
        db, org, "ST1", city="Boston", kind="store", capabilities=("pickup", "returns")
    )
    await create_location(db, org, "SUP1", kind="supplier", capabilities=())
    for sku in SKUS:
        await create_product(db, org, sku)
    await receive_many(db, org, STOCK)
    await _channels(db, org)
    await set_fraud_rules(
        db, org, {"hold_threshold": 100, "rules": [{"rule": "country_mismatch", "score": 100}]}
    )
    # The GET creates the organization's tracking webhook and is the only way to its secret.
    response = await client.get("/v1/tracking/webhook", headers=org.headers)
    assert response.status_code == 200, response.text
    token = response.json()
    await install_demo_carriers(db, org)
    async with db.transaction() as transaction:
        conn = transaction.connection
        customer_id = await _customer_with_credit(conn, org.id)
        sku_ids = await _sku_ids(conn, org.id)
    return World(
        org_id=org.id,
        headers=org.headers,
        principal=Principal(org_id=org.id, role=Role.ADMIN, actor="lifecycle-machine"),
        tracking_account=token["account_token"],
        tracking_secret=token["secret"],
        customer_id=customer_id,
        purchase_order_id=await _open_purchase_order(db, org),
        sku_ids=sku_ids,
    )


async def _channels(db: Database, org: Org) -> None:
    """`web` exists already; `b2b` allows backorders; `app` cancels the units it cannot
    source (its routing's backorder policy is cancel_line)."""
    await create_channel(db, org, "b2b", name="B2B", kind="b2b", allow_backorders=True)
    await create_channel(db, org, "app", name="App", kind="app")
    await set_routing_config(
        db, org, {"rules": [{"type": "backorder", "policy": "cancel_line"}]}, channel="app"
    )


async def _open_purchase_order(db: Database, org: Org) -> int:
    """A submitted purchase order from SUP1 for both SKUs at WH1, to receive bit by bit."""
    await set_replenishment(
        db,
        org,
        rules=[
            {"sku": s, "location": "WH1", "reorder_point": 50, "max_quantity": 100} for s in SKUS
        ],
        suppliers=[{"sku": s, "supplier": "SUP1", "cost": "1.00", "currency": "USD"} for s in SKUS],
    )
    async with db.transaction() as transaction:
        conn = transaction.connection
        [po_id] = await tasks.draft_purchase_orders(conn, org_id=org.id, today=date(2026, 3, 2))
        await purchasing.submit_purchase_order(conn, org.principal, po_id)
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
