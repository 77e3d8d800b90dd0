"""Buyers' personal data: erased once a channel's retention has passed since delivery (never
later than a marketplace allows), or on a customer's request, everywhere Orderly kept it, and
nothing else of the order changes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import sqlalchemy as sa

from orderly.kit.db import Database
from orderly.notifications.tasks import dispatch_all
from orderly.privacy import service as privacy
from tests.factories import (
    Org,
    create_location,
    create_sku,
    order_view,
    place_order,
    receive_stock,
    set_channel_settings,
)

ANN = {"email": "ann@example.com", "name": "Ann Buyer", "phone": "+1 555 0100"}


async def _shop(db: Database, org: Org) -> None:
    await create_location(db, org, "WH1")
    await create_sku(db, org, "MUG")
    await receive_stock(db, org, "MUG", "WH1", 10)


async def _cancelled(
    db: Database, client: httpx.AsyncClient, org: Org, days_ago: int
) -> dict[str, Any]:
    placed = await place_order(db, org, [("MUG", 1)], customer=ANN, notes="leave at the door")
    answer = await client.post(
        f"/v1/orders/{placed['id']}/cancel", json={"reason": "changed mind"}, headers=org.headers
    )
    assert answer.status_code == 200, answer.text
    async with db.transaction() as tx:
        await tx.connection.execute(
            sa.text(
                "UPDATE orders SET updated_at = now() - make_interval(days => :d) WHERE id = :id"
            ),
            {"d": days_ago, "id": placed["id"]},
        )
    return placed


async def test_orders_past_the_channels_retention_are_erased_and_the_rest_kept(
    db: Database, client: httpx.AsyncClient, org: Org
) -> None:
    await _shop(db, org)
    await set_channel_settings(db, org, "web", {"buyer_data_retention_days": 10})
    old = await _cancelled(db, client, org, days_ago=11)
    recent = await _cancelled(db, client, org, days_ago=5)

    async with db.transaction() as tx:
        erased = await privacy.apply_retention(tx.connection, org.id, datetime.now(UTC))

    assert erased == [old["id"]]
    gone = await order_view(db, org, old["id"])
    assert gone["customer"] == {"email": None, "name": None, "phone": None}
    assert gone["shipping_address"] == {"country": "US"} and gone["notes"] is None
    assert (gone["total"], gone["status"], gone["lines"][0]["sku"]) == (
        old["total"],
        "cancelled",
        "MUG",
    )  # what the reports need stays
    kept = await order_view(db, org, recent["id"])
    assert kept["customer"]["email"] == ANN["email"] and kept["notes"] == "leave at the door"
    # The customer record stays while an order of theirs is kept.
    customers = await client.get("/v1/customers", headers=org.headers)
    assert [c["email"] for c in customers.json()["items"]] == [ANN["email"]]
    async with db.transaction() as tx:
        again = await privacy.apply_retention(tx.connection, org.id, datetime.now(UTC))
    assert again == []


async def test_a_customers_request_erases_every_order_and_the_customer(
    db: Database, client: httpx.AsyncClient, org: Org
) -> None:
    await _shop(db, org)
    first = await _cancelled(db, client, org, days_ago=1)
    second = await place_order(db, org, [("MUG", 1)], customer=ANN)
    # The messages the customer was sent keep their address and text until erased.
    await dispatch_all(db)
    async with db.transaction() as tx:
        sent = await tx.connection.execute(
            sa.text(
                "UPDATE notifications SET recipient = :email, body_text = 'Hello Ann'"
                " WHERE org_id = :org"
            ),
            {"org": org.id, "email": ANN["email"]},
        )
    assert sent.rowcount > 0
    async with db.transaction() as tx:
        erased = await privacy.erase_customer(tx.connection, org.id, "ANN@example.com")
    assert sorted(erased) == sorted([first["id"], second["id"]])
    for order_id in erased:
        view = await order_view(db, org, order_id)
        assert view["customer"]["email"] is None
    customers = (await client.get("/v1/customers", headers=org.headers)).json()["items"]
    assert all("ann" not in c["email"] and c["name"] is None for c in customers)
    async with db.transaction() as tx:
        kept = (
            await tx.connection.execute(
                sa.text(
                    "SELECT count(*) FROM notifications WHERE org_id = :org"
                    " AND (recipient IS NOT NULL OR body_text IS NOT NULL)"
                ),
                {"org": org.id},
            )
        ).scalar_one()
    assert kept == 0


def test_a_marketplace_caps_the_retention() -> None:
    assert privacy.retention_days(None, ["amazon"]) == 30
    assert privacy.retention_days("90", ["amazon"]) == 30
    assert privacy.retention_days("7", ["amazon"]) == 7
    assert privacy.retention_days("90", ["shopify"]) == 90
    assert privacy.retention_days(None, []) is None
