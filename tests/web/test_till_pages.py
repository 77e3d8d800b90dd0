"""The till's pages without a browser: a store associate scans (by code or barcode), sells,
ships an order to the customer from the warehouse (endless aisle), and sees only their own
store's till; an unknown barcode is said next to the scan field."""

from __future__ import annotations

import httpx

from orderly.kit.db import Database
from tests.factories import create_channel
from tests.web.shop import Shop, sign_in

GTIN = "4006381333931"


async def _priced(client: httpx.AsyncClient, db: Database, shop: Shop) -> None:
    await create_channel(db, shop.org, "pos", kind="pos")
    products = await client.get("/v1/products", headers=shop.org.headers)
    mug = next(p for p in products.json()["items"] if p["sku"] == "MUG")
    priced = await client.patch(
        f"/v1/products/{mug['id']}",
        json={"gtin": GTIN, "list_price": {"amount": "10.00", "currency": "USD"}},
        headers=shop.org.headers,
    )
    assert priced.status_code == 200, priced.text


async def test_an_order_paid_at_the_till_is_shipped_from_the_warehouse(
    db: Database, client: httpx.AsyncClient, web: httpx.AsyncClient, shop: Shop
) -> None:
    await _priced(client, db, shop)
    token = await sign_in(web, shop, "store")
    for scanned in (GTIN, "MUG"):
        added = await web.post("/app/pos/ST1/scan", data={"csrf_token": token, "scan": scanned})
        assert added.status_code == 303
    page = await web.get("/app/pos/ST1")
    assert 'id="pos-total"' in page.text and "20.00" in page.text
    before = await client.get("/v1/inventory", params={"sku": "MUG"}, headers=shop.org.headers)
    shelf = {r["location"]: r for r in before.json()["items"][0]["locations"]}

    sold = await web.post(
        "/app/pos/ST1/sell",
        data={
            "csrf_token": token,
            "card": "20.00",
            "card_reference": "TERM-3",
            "email": "ann@example.com",
            "ship_name": "Ann",
            "ship_line1": "5 Elm St",
            "ship_city": "Boston",
            "ship_postal_code": "02110",
            "ship_country": "us",
        },
    )
    assert sold.status_code == 303
    after_page = await web.get("/app/pos/ST1")
    assert "shipped to the customer" in after_page.text
    orders = await client.get("/v1/orders", params={"channel": "pos"}, headers=shop.org.headers)
    [order] = orders.json()["items"]
    placed = await client.get(f"/v1/orders/{order['id']}", headers=shop.org.headers)
    assert placed.json()["delivery_method"] == "ship"
    assert placed.json()["payments"][0]["reference"] == "TERM-3"
    after = await client.get("/v1/inventory", params={"sku": "MUG"}, headers=shop.org.headers)
    now = {r["location"]: r for r in after.json()["items"][0]["locations"]}
    assert now["ST1"]["on_hand"] == shelf["ST1"]["on_hand"]  # the store's shelf is untouched
    assert (
        sum(r["reserved"] for r in now.values()) == sum(r["reserved"] for r in shelf.values()) + 2
    )


async def test_an_unknown_barcode_is_said_and_another_stores_till_is_not_found(
    db: Database, client: httpx.AsyncClient, web: httpx.AsyncClient, shop: Shop
) -> None:
    await _priced(client, db, shop)
    token = await sign_in(web, shop, "store")
    await web.post("/app/pos/ST1/scan", data={"csrf_token": token, "scan": "0000000000000"})
    page = await web.get("/app/pos/ST1")
    assert "no product with code or barcode 0000000000000" in page.text
    assert (await web.get("/app/pos/WH1")).status_code == 404
