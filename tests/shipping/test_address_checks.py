"""Address checks: after capture, a carrier that validates addresses judges each order's
address, outside any transaction; one it cannot deliver to holds the order for a person."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from orderly.kit.db import Database
from orderly.orders import service as orders
from orderly.shipping import address_checks
from orderly.shipping.errors import CarrierUnavailable
from orderly.shipping.tasks import check_all_addresses
from tests.factories import SHIPPING_ADDRESS, Org, order_view, place_order
from tests.shipping.scripted_carrier import shop

pytestmark = pytest.mark.usefixtures("scripted")

TORONTO = {"line1": "1 King St W", "city": "Toronto", "postal_code": "M5H 1A1", "country": "CA"}


async def checks(client: httpx.AsyncClient, org: Org, **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/v1/address-checks", params=params, headers=org.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def holds_on_timeline(client: httpx.AsyncClient, org: Org, order_id: int) -> list[Any]:
    response = await client.get(f"/v1/orders/{order_id}/events", headers=org.headers)
    return [e for e in response.json()["items"] if e["type"] == "order.on_hold"]


async def test_a_deliverable_address_is_noted_and_the_order_moves_on(
    db: Database, org: Org, client: httpx.AsyncClient
) -> None:
    await shop(db, org, "address")
    order = await place_order(db, org, [("MUG", 1)])
    assert await check_all_addresses(db) >= 1
    [check] = await checks(client, org, order_id=order["id"])
    assert check["verdict"] == "deliverable" and check["residential"] is True
    assert check["carrier"] == f"scripted{org.id}"
    assert check["address"]["postal_code"] == SHIPPING_ADDRESS["postal_code"]
    assert (await order_view(db, org, order["id"]))["status"] == "allocated"


async def test_an_undeliverable_address_holds_the_order_with_the_carriers_suggestion(
    db: Database, org: Org, client: httpx.AsyncClient
) -> None:
    book = await shop(db, org, "address")
    book.undeliverable.add(str(SHIPPING_ADDRESS["postal_code"]))
    order = await place_order(db, org, [("MUG", 1)])
    assert await address_checks.check_org(db, org.id) == [(order["id"], "undeliverable")]
    view = await order_view(db, org, order["id"])
    assert view["status"] == "on_hold" and "shipping" in view["hold_reasons"]
    [hold] = await holds_on_timeline(client, org, order["id"])
    assert hold["data"]["check"] == "address"
    assert "no such street" in hold["data"]["detail"]
    assert hold["data"]["suggestions"][0]["postal_code"] == "02111"
    listed = await checks(client, org, verdict="undeliverable")
    assert [c["order_id"] for c in listed] == [order["id"]]
    # Checked once: the next run leaves the same address alone.
    assert await address_checks.check_org(db, org.id) == []
    assert len(book.checked) == 1

    # A person corrects the address; asked again, the carrier can deliver there. The hold
    # stays for the person to release.
    async with db.transaction() as tx:
        await orders.edit_shipping_address(
            tx.connection, org.principal, order["id"], {**SHIPPING_ADDRESS, "postal_code": "02111"}
        )
    response = await client.post(f"/v1/orders/{order['id']}/address-check", headers=org.headers)
    assert response.status_code == 200, response.text
    assert response.json()["verdict"] == "deliverable"
    assert response.json()["address"]["postal_code"] == "02111"
    assert (await order_view(db, org, order["id"]))["status"] == "on_hold"


async def test_an_address_no_carrier_covers_is_not_checked_and_not_held(
    db: Database, org: Org, client: httpx.AsyncClient
) -> None:
    book = await shop(db, org, "address")
    order = await place_order(db, org, [("MUG", 1)], shipping_address=TORONTO)
    assert await address_checks.check_org(db, org.id) == [(order["id"], "not_checked")]
    [check] = await checks(client, org, order_id=order["id"])
    assert "no address validation in CA" in check["messages"][0]
    assert (await order_view(db, org, order["id"]))["status"] == "allocated"
    assert book.checked == []


async def test_two_runs_at_once_hold_the_order_once(
    db: Database, org: Org, client: httpx.AsyncClient
) -> None:
    book = await shop(db, org, "address")
    book.undeliverable.add(str(SHIPPING_ADDRESS["postal_code"]))
    order = await place_order(db, org, [("MUG", 1)])
    first, second = await asyncio.gather(
        address_checks.check_org(db, org.id), address_checks.check_org(db, org.id)
    )
    assert sorted([*first, *second]) == [(order["id"], "undeliverable")]
    assert len(await holds_on_timeline(client, org, order["id"])) == 1
    assert len(await checks(client, org)) == 1


async def test_a_carrier_that_is_down_leaves_the_address_for_the_next_run(
    db: Database, org: Org, client: httpx.AsyncClient
) -> None:
    book = await shop(db, org, "address")
    book.address_error = CarrierUnavailable("the carrier did not answer")
    order = await place_order(db, org, [("MUG", 1)])
    assert await address_checks.check_org(db, org.id) == []
    assert await checks(client, org) == []
    book.address_error = None
    assert await address_checks.check_org(db, org.id) == [(order["id"], "deliverable")]


async def test_checking_now_without_a_validating_carrier_is_409(
    db: Database, org: Org, client: httpx.AsyncClient
) -> None:
    await shop(db, org)
    order = await place_order(db, org, [("MUG", 1)])
    response = await client.post(f"/v1/orders/{order['id']}/address-check", headers=org.headers)
    assert response.status_code == 409
    assert response.json()["code"] == "address_not_checkable"
