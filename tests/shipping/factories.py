"""Shipping test helpers: a shop with the demo carriers, an order, labels and signed pushes."""

from __future__ import annotations

import json
import time
from datetime import date
from typing import Any

import httpx

from orderly.kit.db import Database
from orderly.shipping import label_purchases
from orderly.shipping.domain import Parcel, ShipmentRequest
from orderly.shipping.schemas import ShipmentView
from orderly.shipping.webhooks import sign
from tests.factories import Org, create_location, create_sku, install_demo_carriers, receive_stock

WAREHOUSE = {"name": "Northwind DC", "line1": "1 Main St", "city": "Newark",
             "postal_code": "07102", "country": "US"}  # fmt: skip
CUSTOMER = {"name": "Ann Lee", "line1": "5 Elm St", "city": "Boston", "postal_code": "02110",
            "country": "US"}  # fmt: skip


async def open_shop(db: Database, org: Org) -> Org:
    await create_location(db, org, "WH1")
    await create_sku(db, org, "MUG")
    await receive_stock(db, org, "MUG", "WH1", 20)
    await install_demo_carriers(db, org)
    return org


def shipment_request(org: Org, *parcels: Parcel, reference: str = "NW-1001") -> ShipmentRequest:
    return ShipmentRequest(
        org_id=org.id,
        ship_from=WAREHOUSE,
        ship_to=CUSTOMER,
        parcels=list(parcels) or [Parcel(1200, 300, 200, 100)],
        ship_date=date(2026, 11, 23),
        reference=reference,
    )


async def buy_labels(
    db: Database,
    org: Org,
    order_id: int,
    *parcels: Parcel,
    service: str | None = None,
    policy: str = "cheapest",
) -> list[ShipmentView]:
    """Labels for an order's parcels, bought as fulfillment buys them: the intent, the
    carrier's call with no transaction open, then the shipments."""
    async with db.transaction() as transaction:
        purchase = await label_purchases.begin(
            transaction.connection,
            org.id,
            order_id=order_id,
            fulfillment_order_id=None,
            request=shipment_request(org, *parcels),
            service=service,
            policy=policy,
            promise_date=None,
            actor="test",
        )
    bought = await label_purchases.buy(db, purchase)
    async with db.transaction() as transaction:
        return await label_purchases.record(transaction.connection, bought)


async def webhook(client: httpx.AsyncClient, org: Org) -> tuple[str, str]:
    response = await client.get("/v1/tracking/webhook", headers=org.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    return body["account_token"], body["secret"]


async def push(
    client: httpx.AsyncClient,
    token: str,
    secret: str,
    events: list[dict[str, Any]],
    *,
    timestamp: int | None = None,
    signature: str | None = None,
) -> httpx.Response:
    body = json.dumps({"events": events}).encode()
    stamp = int(time.time()) if timestamp is None else timestamp
    return await client.post(
        "/v1/tracking/events",
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-Orderly-Account": token,
            "X-Orderly-Signature": signature or sign(secret, stamp, body),
        },
    )


def event(number: str, code: str, at: str, **extra: Any) -> dict[str, Any]:
    return {"tracking_number": number, "code": code, "occurred_at": at, **extra}
