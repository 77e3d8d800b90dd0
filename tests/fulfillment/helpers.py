"""Fulfillment tests: a small network (built by tests/factories.py), a fake carrier at the label
port, and the warehouse steps over the API."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx

from orderly.fulfillment import pickup
from orderly.fulfillment.shipping_port import (
    BoughtLabel,
    LabelRequest,
    PendingLabels,
    ReadyLabels,
)
from orderly.kit.db import Database
from orderly.kit.secrets import secret_key
from orderly.settings import Settings
from orderly.shipping.fulfillment_labels import record_sent_elsewhere
from tests.factories import BOXES, Org, create_location, create_product, receive_many


class FakeCarrier:
    """Sells one label per parcel with a made-up tracking number, and remembers requests, the
    labels given back and the purchases under way. `on_buy` runs while the labels are being
    bought (between the two transactions of a shipment)."""

    def __init__(self) -> None:
        self.requests: list[LabelRequest] = []
        self.given_back: list[tuple[list[str], str]] = []
        self.under_way: set[int] = set()
        self.on_buy: Callable[[], Awaitable[None]] | None = None
        self._ids = itertools.count(900_000)

    async def begin(self, conn: Any, request: LabelRequest) -> PendingLabels:
        self.requests.append(request)
        purchase_id = next(self._ids)
        self.under_way.add(purchase_id)
        return PendingLabels(purchase_id, request)

    async def buy(self, database: Database, pending: PendingLabels) -> ReadyLabels:
        if self.on_buy is not None:
            await self.on_buy()
        request: LabelRequest = pending.held
        labels = []
        for _ in request.parcels:
            n = next(self._ids)
            labels.append(BoughtLabel(n, f"FAKE{n}", "fake", request.service or "ground"))
        return ReadyLabels(pending.purchase_id, labels)

    async def record(self, conn: Any, ready: ReadyLabels) -> Sequence[BoughtLabel]:
        self.under_way.discard(ready.purchase_id)
        return list(ready.held)

    async def give_back(self, database: Database, ready: ReadyLabels, reason: str) -> None:
        self.under_way.discard(ready.purchase_id)
        self.given_back.append(([label.tracking_number for label in ready.held], reason))

    async def still_buying(self, conn: Any, org_id: int, purchase_ids: Sequence[int]) -> set[int]:
        return {i for i in purchase_ids if i in self.under_way}

    async def record_sent_elsewhere(self, conn: Any, parcel: Any) -> int:
        return await record_sent_elsewhere(conn, parcel)


async def setup_warehouses(db: Database, org: Org, stock: dict[str, int]) -> None:
    """WH1 (Newark, preferred) and WH2 (Chicago), each with the box catalogue; `stock` units
    of MUG at each location code given."""
    await create_location(db, org, "WH1", city="Newark", priority=10, boxes=BOXES)
    await create_location(db, org, "WH2", city="Chicago", priority=20, boxes=BOXES)
    await create_product(db, org, "MUG")
    await receive_many(db, org, {("MUG", location): units for location, units in stock.items()})


async def fulfillment_orders(
    client: httpx.AsyncClient, org: Org, order_id: int
) -> list[dict[str, Any]]:
    response = await client.get(
        "/v1/fulfillment-orders", params={"order_id": order_id}, headers=org.headers
    )
    assert response.status_code == 200, response.text
    return sorted(response.json()["items"], key=lambda fo: fo["id"])


async def act(
    client: httpx.AsyncClient, org: Org, fo_id: int, action: str, body: Any = None
) -> httpx.Response:
    return await client.post(
        f"/v1/fulfillment-orders/{fo_id}/{action}", json=body, headers=org.headers
    )


async def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return dict(response.json())


async def pick(client: httpx.AsyncClient, org: Org, location: str, **extra: Any) -> dict[str, Any]:
    response = await client.post(
        "/v1/pick-lists", json={"location": location, **extra}, headers=org.headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def confirm(
    client: httpx.AsyncClient,
    org: Org,
    pick_list_id: int,
    picks: list[dict[str, int]] | None = None,
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/pick-lists/{pick_list_id}/confirm", json={"picks": picks or []}, headers=org.headers
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def order(client: httpx.AsyncClient, org: Org, order_id: int) -> dict[str, Any]:
    response = await client.get(f"/v1/orders/{order_id}", headers=org.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def timeline(client: httpx.AsyncClient, org: Org, order_id: int) -> list[str]:
    response = await client.get(
        f"/v1/orders/{order_id}/events", params={"limit": 200}, headers=org.headers
    )
    assert response.status_code == 200, response.text
    return [e["type"] for e in response.json()["items"]]


async def customer_pickup_code(
    client: httpx.AsyncClient, org: Org, settings: Settings, order_id: int
) -> str:
    """The code the customer's "ready for pickup" message carries: derived again from the
    timeline event, as the message is, since nothing stores it."""
    response = await client.get(
        f"/v1/orders/{order_id}/events", params={"limit": 200}, headers=org.headers
    )
    [ready] = [e for e in response.json()["items"] if e["type"] == "fulfillment.ready_for_pickup"]
    code = pickup.customer_pickup_code(secret_key(settings), org.id, ready["data"])
    assert code is not None
    return code
