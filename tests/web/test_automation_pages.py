"""Automation in the dashboard: restock suggestions and purchase orders, the fraud review
queue, late orders; a viewer sees no action and a crafted POST is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from orderly.automation.tasks import flag_late_orders
from orderly.kit.db import Database
from tests.factories import create_location, place_order, set_fraud_rules, set_replenishment
from tests.orders.helpers import stock_of
from tests.web.shop import Shop, sign_in


async def reorder_mugs(db: Database, shop: Shop) -> None:
    """MUG at WH1 (50 on hand) must be reordered: its reorder point is 60, up to 80."""
    await create_location(db, shop.org, "SUP1", city="Dallas", kind="supplier")
    supplier = {
        "sku": "MUG",
        "supplier": "SUP1",
        "cost": "3.00",
        "currency": "USD",
        "lead_time_days": 4,
        "pack_size": 10,
    }
    rule = {"sku": "MUG", "location": "WH1", "reorder_point": 60, "max_quantity": 80}
    await set_replenishment(db, shop.org, rules=[rule], suppliers=[supplier])


async def test_suggest_submit_and_receive_a_purchase_order(
    db: Database, web: httpx.AsyncClient, shop: Shop
) -> None:
    await reorder_mugs(db, shop)
    token = await sign_in(web, shop, "warehouse")

    empty = await web.get("/app/automation")
    assert empty.status_code == 200 and "No suggestions" in empty.text
    await web.post("/app/automation/restock/run", data={"csrf_token": token})
    page = await web.get("/app/automation")
    assert "1 purchase orders drafted" in page.text
    assert "SUP1 → WH1" in page.text and "Submit PO-" in page.text
    pos = (await web.get("/v1/purchase-orders", headers=shop.org.headers)).json()["items"]
    [po] = pos
    assert po["status"] == "draft" and po["lines"][0]["quantity_ordered"] == 30

    await web.post(f"/app/automation/purchase-orders/{po['id']}/submit", data={"csrf_token": token})
    page = await web.get("/app/automation")
    assert "Submitted to the supplier." in page.text and "Receive into WH1" in page.text
    await web.post(
        f"/app/automation/purchase-orders/{po['id']}/receive",
        data={"csrf_token": token, f"po-{po['id']}-0": "30"},
    )
    page = await web.get("/app/automation")
    assert f"30 units of {po['number']} received into stock." in page.text
    assert (await stock_of(web, shop.org.headers, "MUG"))["WH1"]["on_hand"] == 80

    again = await web.post(
        f"/app/automation/purchase-orders/{po['id']}/submit", data={"csrf_token": token}
    )
    assert again.status_code == 303
    assert "cannot become submitted" in (await web.get("/app/automation")).text


async def hold_big_orders(db: Database, shop: Shop) -> None:
    body = {
        "hold_threshold": 100,
        "rules": [{"rule": "amount", "enabled": True, "score": 100, "params": {"amount": "30.00"}}],
    }
    await set_fraud_rules(db, shop.org, body)


async def test_fraud_review_approve_and_reject(
    db: Database, web: httpx.AsyncClient, shop: Shop
) -> None:
    await hold_big_orders(db, shop)
    first = await place_order(db, shop.org, [("MUG", 2)])
    second = await place_order(db, shop.org, [("TEE", 2)])
    token = await sign_in(web, shop, "support")

    queue = await web.get("/app/automation/fraud")
    assert queue.status_code == 200
    assert first["number"] in queue.text and second["number"] in queue.text
    assert "fraud review" in queue.text

    await web.post(f"/app/automation/fraud/{first['id']}/approve", data={"csrf_token": token})
    await web.post(f"/app/automation/fraud/{second['id']}/reject", data={"csrf_token": token})
    queue = await web.get("/app/automation/fraud")
    assert "Rejected: the order is cancelled" in queue.text
    assert first["number"] not in queue.text and second["number"] not in queue.text
    headers = shop.org.headers
    assert (await web.get(f"/v1/orders/{first['id']}", headers=headers)).json()["status"] == (
        "allocated"
    )
    assert (await web.get(f"/v1/orders/{second['id']}", headers=headers)).json()["status"] == (
        "cancelled"
    )

    twice = await web.post(
        f"/app/automation/fraud/{first['id']}/approve", data={"csrf_token": token}
    )
    assert twice.status_code == 303
    refusal = f"order {first['number']} is not held for fraud review"
    assert refusal in (await web.get("/app/automation/fraud")).text


async def test_late_orders_are_listed_until_they_ship(
    web: httpx.AsyncClient, shop: Shop, db: Database
) -> None:
    order = await place_order(db, shop.org, [("MUG", 1)])
    async with db.transaction() as transaction:
        conn = transaction.connection
        flagged = await flag_late_orders(
            conn, org_id=shop.org.id, now=datetime.now(UTC) + timedelta(days=5)
        )
    assert order["id"] in flagged
    await sign_in(web, shop, "viewer")

    page = await web.get("/app/automation/late")
    assert page.status_code == 200
    assert order["number"] in page.text and "WH1" in page.text
    assert "Late orders by location" in page.text
    bad = await web.get("/app/automation/late?since=yesterday")
    assert bad.status_code == 422


async def test_a_viewer_sees_no_action_and_a_crafted_post_is_refused(
    db: Database, web: httpx.AsyncClient, client: httpx.AsyncClient, shop: Shop
) -> None:
    await reorder_mugs(db, shop)
    await hold_big_orders(db, shop)
    held = await place_order(db, shop.org, [("MUG", 2)])
    run = await client.post("/v1/replenishment/run", headers=shop.org.headers)
    [po] = run.json()["purchase_orders"]
    token = await sign_in(web, shop, "viewer")

    restock = await web.get("/app/automation")
    fraud = await web.get("/app/automation/fraud")
    assert restock.status_code == 200 and fraud.status_code == 200
    assert po["number"] in restock.text and held["number"] in fraud.text
    for page in (restock, fraud):
        assert 'method="post" action="/app/automation' not in page.text
    for path in (
        "/app/automation/restock/run",
        f"/app/automation/purchase-orders/{po['id']}/submit",
        f"/app/automation/purchase-orders/{po['id']}/receive",
        f"/app/automation/fraud/{held['id']}/approve",
        f"/app/automation/fraud/{held['id']}/reject",
    ):
        refused = await web.post(path, data={"csrf_token": token})
        assert refused.status_code == 403, path
    status = (await client.get(f"/v1/orders/{held['id']}", headers=shop.org.headers)).json()
    assert status["status"] == "on_hold"


async def test_a_location_limited_user_drafts_purchase_orders_for_their_locations_only(
    db: Database, web: httpx.AsyncClient, client: httpx.AsyncClient, shop: Shop
) -> None:
    await reorder_mugs(db, shop)
    rule = {"sku": "MUG", "location": "ST1", "reorder_point": 20, "max_quantity": 30}
    await set_replenishment(db, shop.org, rules=[rule])
    token = await sign_in(web, shop, "warehouse")

    await web.post("/app/automation/restock/run", data={"csrf_token": token})

    pos = (await client.get("/v1/purchase-orders", headers=shop.org.headers)).json()["items"]
    assert [po["destination"] for po in pos] == ["WH1"]
    page = await web.get("/app/automation")
    assert "SUP1 → WH1" in page.text and "ST1" not in page.text
