"""Order lists: what each filter selects; by location, a window of its allocations at a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from orderly.kit.db import Database
from orderly.orders import queries
from orderly.orders import service as orders
from orderly.orders.queries import OrderFilters
from tests.conftest import Org
from tests.orders.factories import create_location, create_sku, order_body, receive_stock


@pytest.fixture
async def shop(client: httpx.AsyncClient, org: Org) -> Org:
    await create_location(client, org.headers, "WH1")
    await create_location(client, org.headers, "WH2", city="Chicago")
    for sku in ("MUG", "CUP", "TEE"):
        await create_sku(client, org.headers, sku)
    await receive_stock(client, org.headers, "MUG", "WH1", 50)
    await receive_stock(client, org.headers, "CUP", "WH1", 50)
    await receive_stock(client, org.headers, "TEE", "WH2", 50)
    return org


async def place(client: httpx.AsyncClient, org: Org, *skus: str, **extra: Any) -> int:
    body = order_body([(sku, 1) for sku in skus], **extra)
    response = await client.post("/v1/orders", json=body, headers=org.headers)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def every_page(client: httpx.AsyncClient, org: Org, **params: object) -> list[int]:
    """The ids of every page of the list, following its cursors."""
    ids: list[int] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/v1/orders", params=query, headers=org.headers)
        assert response.status_code == 200, response.text
        ids += [order["id"] for order in response.json()["items"]]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return ids


@pytest.mark.parametrize("windows", ["default", "tiny"])
async def test_a_location_lists_the_orders_with_units_there_newest_first(
    client: httpx.AsyncClient, shop: Org, windows: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if windows == "tiny":
        # One allocation a window at first, then two: every edge case of the walk is met.
        monkeypatch.setattr(queries, "_FIRST_WINDOW", 1)
        monkeypatch.setattr(queries, "_WINDOW_GROWTH", 2)
        monkeypatch.setattr(queries, "_LARGEST_WINDOW", 2)
    o1 = await place(client, shop, "MUG")
    o2 = await place(client, shop, "TEE")
    o3 = await place(client, shop, "MUG", "CUP")  # two allocations at WH1
    o4 = await place(client, shop, "TEE")
    o5 = await place(client, shop, "MUG", "TEE")  # split over WH1 and WH2
    o6 = await place(client, shop, "CUP")
    o7 = await place(client, shop, "TEE")
    cancel = await client.post(
        f"/v1/orders/{o6}/cancel", json={"reason": "test"}, headers=shop.headers
    )
    assert cancel.status_code == 200, cancel.text

    assert await every_page(client, shop, location="WH1") == [o6, o5, o3, o1]
    assert await every_page(client, shop, location="WH1", limit=1) == [o6, o5, o3, o1]
    assert await every_page(client, shop, location="WH2", limit=2) == [o7, o5, o4, o2]
    assert await every_page(client, shop, location="WH1", status="allocated") == [o5, o3, o1]
    # A cancelled order's released allocations still place it at the location.
    assert await every_page(client, shop, location="WH1", status="cancelled") == [o6]
    assert await every_page(client, shop, location="WH2", channel="web", sku="MUG") == [o5]
    assert await every_page(client, shop, location="WH2", channel="app") == []
    assert await every_page(client, shop, location="NOWHERE") == []


async def test_every_filter_selects_its_orders(
    client: httpx.AsyncClient, shop: Org, db: Database
) -> None:
    mug = await place(client, shop, "MUG")
    tee = await place(
        client,
        shop,
        "TEE",
        customer={"email": "bo_100%@example.com", "name": "Bo Lind"},
        external_id="EXT-7",
        tags=["vip"],
    )
    wh2 = (await client.get("/v1/locations", params={"code": "WH2"}, headers=shop.headers)).json()
    now = datetime.now(UTC)

    async def ids(**given: Any) -> list[int]:
        async with db.transaction() as conn:
            page = await orders.list_orders(
                conn, shop.id, OrderFilters(**given), limit=50, cursor=None
            )
        return [order.id for order in page.items]

    assert await ids() == [tee, mug]
    assert await ids(search="100%") == [tee]
    assert await ids(search="0%@") == [tee]
    assert await ids(search="_100") == [tee]
    # % and _ are the characters themselves, not wildcards
    assert await ids(search="1%0") == []
    assert await ids(search="b__1") == []
    assert await ids(search="lind") == [tee]
    assert await ids(search="EXT-7") == [tee]
    assert await ids(search="EXT") == []  # an external id matches whole, not in part
    assert await ids(search="MUG") == [mug]
    assert await ids(search=" a@example ") == [mug]
    assert await ids(tag="vip") == [tee]
    assert await ids(customer_email=" bo_100%@example.com ") == [tee]
    assert await ids(location_ids=(wh2["items"][0]["id"],)) == [tee]
    assert await ids(location_ids=()) == []
    assert await ids(created_from=now - timedelta(hours=1)) == [tee, mug]
    assert await ids(created_to=now - timedelta(hours=1)) == []
    assert await ids(status="allocated", channel="web", sku="TEE", location="WH2") == [tee]
