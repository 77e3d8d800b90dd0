"""Returns in the dashboard: start a return from a shipped order, the queue, receive and
inspect, refund; a viewer sees no action and a crafted POST is refused."""

from __future__ import annotations

import secrets

import httpx
import sqlalchemy as sa

from orderly.kit.db import Database
from orderly.tenancy import users
from orderly.tenancy.domain import Role
from tests.factories import create_location, shipped_order
from tests.orders.helpers import stock_of
from tests.web.shop import PASSWORD, Shop, csrf_of, sign_in


async def returns_location(db: Database, shop: Shop) -> None:
    """RT1: a warehouse that takes returns (the shop's own locations do not)."""
    await create_location(db, shop.org, "RT1", city="Dallas", capabilities=("returns",), priority=5)


async def start_return(
    web: httpx.AsyncClient, token: str, order_id: int, **fields: str
) -> httpx.Response:
    data = {
        "csrf_token": token,
        "quantity-1": "1",
        "reason": "damaged",
        "method": "ship_back",
        "location": "RT1",
        **fields,
    }
    return await web.post(f"/app/orders/{order_id}/return", data=data)


async def test_start_receive_restock_and_refund(
    db: Database, web: httpx.AsyncClient, shop: Shop
) -> None:
    await returns_location(db, shop)
    order = await shipped_order(db, shop.org, [("MUG", 2)])
    token = await sign_in(web, shop, "admin")

    page = await web.get(f"/app/orders/{order['id']}")
    assert "Start a return" in page.text
    form = await web.get(f"/app/orders/{order['id']}/return")
    assert form.status_code == 200 and "MUG" in form.text
    opened = await start_return(web, token, order["id"])
    assert opened.status_code == 303
    detail_url = opened.headers["location"]
    detail = await web.get(detail_url)
    assert detail.status_code == 200
    assert "authorized" in detail.text and "Return label (PDF)" in detail.text
    number = detail.text.split("Return RMA-", 1)[1].split(" ", 1)[0]

    queue = await web.get("/app/returns")
    assert queue.status_code == 200 and f"RMA-{number}" in queue.text
    assert f"RMA-{number}" not in (await web.get("/app/returns?status=refunded")).text

    received = await web.post(
        detail_url + "/receive",
        data={"csrf_token": token, "restock-1": "1", "damaged-1": "0", "location": "RT1"},
    )
    assert received.status_code == 303
    detail = await web.get(detail_url)
    assert "1 units received" in detail.text and "Refund" in detail.text
    assert (await stock_of(web, shop.org.headers, "MUG"))["RT1"]["on_hand"] == 1

    refunded = await web.post(
        detail_url + "/refund",
        data={"csrf_token": token, "amount": "19.99", "destination": "original_payment"},
    )
    assert refunded.status_code == 303
    detail = await web.get(detail_url)
    assert "Refunded 19.99 USD to the original payment." in detail.text
    assert "refunded" in detail.text
    order_page = await web.get(f"/app/orders/{order['id']}")
    assert "refund.issued" in order_page.text
    assert f"RMA-{number}" in (await web.get(f"/app/returns?order={order['id']}")).text


async def test_refusals_are_explained_and_change_nothing(
    db: Database, web: httpx.AsyncClient, shop: Shop
) -> None:
    await returns_location(db, shop)
    order = await shipped_order(db, shop.org, [("MUG", 1)])
    token = await sign_in(web, shop, "support")

    nothing = await start_return(web, token, order["id"], **{"quantity-1": "0"})
    assert nothing.status_code == 422 and "choose at least one unit to return" in nothing.text
    too_many = await start_return(web, token, order["id"], **{"quantity-1": "5"})
    assert too_many.status_code == 422 and "field-error" in too_many.text
    store = await start_return(web, token, order["id"], method="in_store", location="")
    assert store.status_code == 422 and "choose the store" in store.text
    listed = await web.get(f"/v1/returns?order_id={order['id']}", headers=shop.org.headers)
    assert listed.json()["items"] == []

    opened = await start_return(web, token, order["id"])
    url = opened.headers["location"]
    await web.post(url + "/receive", data={"csrf_token": token, "restock-1": "1"})
    too_much = await web.post(
        url + "/refund",
        data={"csrf_token": token, "amount": "500.00", "destination": "store_credit"},
    )
    assert too_much.status_code == 303
    page = await web.get(url)
    assert "can refund at most" in page.text
    assert "Still owed" in page.text
    assert (await web.get(url.replace("/app", "/v1"), headers=shop.org.headers)).json()[
        "refunded"
    ] == "0.00"


async def test_a_viewer_sees_no_action_and_a_crafted_post_is_refused(
    db: Database, web: httpx.AsyncClient, client: httpx.AsyncClient, shop: Shop
) -> None:
    await returns_location(db, shop)
    order = await shipped_order(db, shop.org, [("MUG", 1)])
    opened = await client.post(
        "/v1/returns",
        json={
            "order_id": order["id"],
            "lines": [{"line_no": 1, "quantity": 1, "reason": "damaged"}],
            "method": "in_store",
            "location": "RT1",
        },
        headers=shop.org.headers,
    )
    assert opened.status_code == 201, opened.text
    return_id = opened.json()["id"]
    token = await sign_in(web, shop, "viewer")

    order_page = await web.get(f"/app/orders/{order['id']}")
    assert "Start a return" not in order_page.text
    detail = await web.get(f"/app/returns/{return_id}")
    assert detail.status_code == 200
    assert 'action="/app/returns/' not in detail.text and "restock-1" not in detail.text
    for path, data in (
        (f"/app/orders/{order['id']}/return", {"quantity-1": "1", "reason": "damaged"}),
        (f"/app/returns/{return_id}/receive", {"restock-1": "1"}),
        (f"/app/returns/{return_id}/refund", {"amount": "1.00"}),
        (f"/app/returns/{return_id}/close", {}),
    ):
        refused = await web.post(path, data={"csrf_token": token, **data})
        assert refused.status_code == 403, path
    assert (await web.get(f"/v1/returns/{return_id}", headers=shop.org.headers)).json()[
        "status"
    ] == "authorized"
    without_token = await web.get(f"/app/orders/{order['id']}/return")
    assert without_token.status_code == 200 and csrf_of(without_token.text)


async def test_units_are_received_only_where_returns_are_taken(
    db: Database, web: httpx.AsyncClient, shop: Shop
) -> None:
    await returns_location(db, shop)
    order = await shipped_order(db, shop.org, [("MUG", 1)])
    token = await sign_in(web, shop, "admin")
    url = (await start_return(web, token, order["id"])).headers["location"]
    on_hand = (await stock_of(web, shop.org.headers, "MUG"))["WH1"]["on_hand"]

    crafted = await web.post(
        url + "/receive", data={"csrf_token": token, "restock-1": "1", "location": "WH1"}
    )

    assert crafted.status_code == 303
    page = await web.get(url)
    assert "is not an active location that takes returns" in page.text
    stored = (await web.get(url.replace("/app", "/v1"), headers=shop.org.headers)).json()
    assert stored["status"] == "authorized" and stored["lines"][0]["restocked"] == 0
    assert (await stock_of(web, shop.org.headers, "MUG"))["WH1"]["on_hand"] == on_hand


async def test_a_location_limited_user_receives_and_takes_returns_at_their_locations_only(
    web: httpx.AsyncClient, client: httpx.AsyncClient, shop: Shop, db: Database
) -> None:
    await returns_location(db, shop)
    await create_location(
        db, shop.org, "RT2", city="Chicago", capabilities=("returns",), priority=6
    )
    order = await shipped_order(db, shop.org, [("MUG", 2)])
    rt1 = (await client.get("/v1/locations?limit=100", headers=shop.org.headers)).json()["items"]
    [rt1_id] = [loc["id"] for loc in rt1 if loc["code"] == "RT1"]
    async with db.transaction() as transaction:
        conn = transaction.connection
        shop.emails["returns desk"] = f"desk-{secrets.token_hex(3)}@example.com"
        await users.create_user(
            conn,
            org_id=shop.org.id,
            email=shop.email("returns desk"),
            password=PASSWORD,
            role=Role.MANAGER,
            location_ids=[shop.location_ids["WH1"], rt1_id],
        )
    token = await sign_in(web, shop, "returns desk")

    elsewhere = await start_return(
        web, token, order["id"], method="in_store", location="RT2", **{"quantity-1": "1"}
    )
    assert elsewhere.status_code == 404
    opened = await start_return(web, token, order["id"])
    url = opened.headers["location"]
    into_rt2 = await web.post(
        url + "/receive", data={"csrf_token": token, "restock-1": "1", "location": "RT2"}
    )
    assert into_rt2.status_code == 404
    listed = await web.get(f"/v1/returns?order_id={order['id']}", headers=shop.org.headers)
    [only] = listed.json()["items"]
    assert only["status"] == "authorized" and only["location"] == "RT1"
    assert "RT2" not in await stock_of(web, shop.org.headers, "MUG")
    into_rt1 = await web.post(
        url + "/receive", data={"csrf_token": token, "restock-1": "1", "location": "RT1"}
    )
    assert into_rt1.status_code == 303
    assert (await stock_of(web, shop.org.headers, "MUG"))["RT1"]["on_hand"] == 1


async def set_carriers_active(db: Database, shop: Shop, active: bool) -> None:
    async with db.transaction() as tx:
        await tx.connection.execute(
            sa.text("UPDATE carrier_accounts SET active = :a WHERE org_id = :o"),
            {"a": active, "o": shop.org.id},
        )


async def test_a_label_not_bought_is_shown_then_authorizing_again_buys_it_and_cancel_voids_it(
    db: Database, web: httpx.AsyncClient, shop: Shop
) -> None:
    await returns_location(db, shop)
    order = await shipped_order(db, shop.org, [("MUG", 2)])
    token = await sign_in(web, shop, "admin")
    await set_carriers_active(db, shop, False)

    opened = await start_return(web, token, order["id"])
    assert opened.status_code == 303
    detail = await web.get(opened.headers["location"])
    assert "No label yet" in detail.text  # the flash after opening
    assert "Label: no configured carrier can take this shipment" in detail.text
    assert "Authorize and buy the label" in detail.text
    assert "Return label (PDF)" not in detail.text
    action = opened.headers["location"]

    await set_carriers_active(db, shop, True)
    authorized = await web.post(f"{action}/authorize", data={"csrf_token": token})
    assert authorized.status_code == 303
    detail = await web.get(action)
    assert "is authorized" in detail.text and "Return label (PDF)" in detail.text
    assert "Label:" not in detail.text and "Authorize and buy" not in detail.text

    cancelled = await web.post(f"{action}/cancel", data={"csrf_token": token})
    assert cancelled.status_code == 303
    detail = await web.get(action)
    assert "is cancelled" in detail.text and "Cancel return" not in detail.text
    async with db.reading() as conn:
        statuses = await conn.execute(
            sa.text("SELECT status FROM shipments WHERE org_id = :o ORDER BY id"),
            {"o": shop.org.id},
        )
        assert [r.status for r in statuses][-1] == "cancelled"
