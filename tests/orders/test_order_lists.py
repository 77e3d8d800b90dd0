"""Order lists: what each filter selects; by location, a window of its allocations at a time,
from the copies of each order's status and channel that its allocations carry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from orderly.kit.db import Database
from orderly.kit.pagination import Page, encode_cursor
from orderly.orders import queries
from orderly.orders import service as orders
from orderly.orders.fulfillment_status import move_allocation_units
from orderly.orders.queries import OrderFilters
from orderly.orders.schemas import OrderSummary
from orderly.sourcing.domain import Allocation
from tests.factories import (
    Org,
    create_channel,
    create_location,
    create_sku,
    order_body,
    receive_stock,
)


@pytest.fixture
async def shop(db: Database, org: Org) -> Org:
    await create_location(db, org, "WH1")
    await create_location(db, org, "WH2", city="Chicago")
    for sku in ("MUG", "CUP", "TEE"):
        await create_sku(db, org, sku)
    await receive_stock(db, org, "MUG", "WH1", 50)
    await receive_stock(db, org, "CUP", "WH1", 50)
    await receive_stock(db, org, "TEE", "WH2", 50)
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
        async with db.transaction() as transaction:
            conn = transaction.connection
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


async def act(client: httpx.AsyncClient, org: Org, order: int, action: str) -> None:
    body = {"reason": "test"} if action != "release" else {}
    response = await client.post(f"/v1/orders/{order}/{action}", json=body, headers=org.headers)
    assert response.status_code == 200, response.text


async def copies_out_of_step(db: Database, org: Org) -> list[Any]:
    """Allocations whose copy of their order's status or channel differs from the order."""
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            sa.text(
                """
                SELECT a.id, a.order_status, o.status, a.channel_id, o.channel_id
                  FROM order_allocations a JOIN orders o ON o.id = a.order_id
                 WHERE a.org_id = :org_id
                   AND (a.order_status IS DISTINCT FROM o.status
                        OR a.channel_id IS DISTINCT FROM o.channel_id)
                """
            ),
            {"org_id": org.id},
        )
        return list(rows)


@pytest.mark.parametrize("windows", ["default", "tiny"])
async def test_status_channel_and_location_follow_every_change_of_the_order(
    client: httpx.AsyncClient,
    shop: Org,
    db: Database,
    windows: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if windows == "tiny":
        monkeypatch.setattr(queries, "_FIRST_WINDOW", 1)
        monkeypatch.setattr(queries, "_WINDOW_GROWTH", 2)
        monkeypatch.setattr(queries, "_LARGEST_WINDOW", 2)
    await create_channel(db, shop, "app", kind="app")
    web1 = await place(client, shop, "MUG")
    app1 = await place(client, shop, "MUG", "CUP", channel="app")
    web2 = await place(client, shop, "MUG", "TEE")
    app2 = await place(client, shop, "TEE", channel="app")
    await act(client, shop, web1, "hold")
    await act(client, shop, app1, "hold")
    await act(client, shop, app1, "release")
    await act(client, shop, web2, "cancel")

    async def listed(**params: object) -> list[int]:
        return await every_page(client, shop, **params, limit=1)

    assert await listed(location="WH1", status="allocated", channel="app") == [app1]
    assert await listed(location="WH1", status="allocated", channel="web") == []
    assert await listed(location="WH1", status="on_hold", channel="web") == [web1]
    assert await listed(location="WH1", status="on_hold") == [web1]
    assert await listed(location="WH1", status="cancelled", channel="web") == [web2]
    assert await listed(location="WH2", status="cancelled") == [web2]
    assert await listed(location="WH2", channel="app") == [app2]
    assert await listed(location="WH1", channel="app") == [app1]
    assert await listed(location="WH2", status="allocated", channel="app") == [app2]
    assert await listed(location="WH2", status="on_hold", channel="app") == []
    first = (
        await client.get(
            "/v1/orders",
            params={"location": "WH1", "status": "allocated", "limit": 1},
            headers=shop.headers,
        )
    ).json()
    assert [o["id"] for o in first["items"]] == [app1]
    assert first["next_cursor"] is None
    assert await copies_out_of_step(db, shop) == []


async def test_a_split_allocation_keeps_its_order_status_and_channel(
    client: httpx.AsyncClient, shop: Org, db: Database
) -> None:
    response = await client.post("/v1/orders", json=order_body([("MUG", 2)]), headers=shop.headers)
    assert response.status_code == 201, response.text
    order = int(response.json()["id"])
    async with db.transaction() as transaction:
        conn = transaction.connection
        line = (
            await conn.execute(
                sa.text(
                    "SELECT line_no, sku_id, location_id FROM order_allocations"
                    " WHERE order_id = :order_id"
                ),
                {"order_id": order},
            )
        ).one()
        one_unit = Allocation(line.line_no, line.sku_id, line.location_id, 1)
        await move_allocation_units(conn, shop.id, order, [one_unit], to_status="released")
        count = await conn.execute(
            sa.text("SELECT count(*) FROM order_allocations WHERE order_id = :order_id"),
            {"order_id": order},
        )
        assert count.scalar_one() == 2
    assert await copies_out_of_step(db, shop) == []
    assert await every_page(client, shop, location="WH1", status="allocated") == [order]


async def test_a_location_with_a_narrower_filter_asks_each_order(
    client: httpx.AsyncClient, shop: Org
) -> None:
    mug = await place(client, shop, "MUG", customer={"email": "mo@example.com", "name": "Mo"})
    tee = await place(client, shop, "TEE", customer={"email": "mo@example.com", "name": "Mo"})
    await place(client, shop, "MUG")
    assert await every_page(client, shop, location="WH1", customer_email="mo@example.com") == [mug]
    assert await every_page(client, shop, location="WH2", customer_email="mo@example.com") == [tee]
    assert await every_page(client, shop, location="WH2", sku="MUG") == []
    assert await every_page(client, shop, location="NOWHERE", sku="MUG") == []


async def test_the_list_is_a_page_of_order_summaries(client: httpx.AsyncClient, shop: Org) -> None:
    # The list is written from plain values, not through its response model: it must still
    # be exactly what the model describes.
    await place(client, shop, "MUG", tags=["vip"])
    await place(client, shop, "TEE")
    response = await client.get("/v1/orders", params={"limit": 1}, headers=shop.headers)
    body = response.json()
    assert Page[OrderSummary].model_validate(body).model_dump(mode="json") == body
    assert body["items"][0]["created_at"].endswith("Z")


@pytest.mark.parametrize(
    "path",
    [
        "/v1/orders",
        "/v1/customers",
        "/v1/products",
        "/v1/locations",
        "/v1/channels",
        "/v1/inventory",
    ],
)
@pytest.mark.parametrize("value", ["not-an-id", 1.5, -1, 2**63, True])
async def test_a_forged_cursor_is_422_naming_it(
    client: httpx.AsyncClient, org: Org, path: str, value: object
) -> None:
    response = await client.get(path, params={"cursor": encode_cursor(value)}, headers=org.headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "cursor"
