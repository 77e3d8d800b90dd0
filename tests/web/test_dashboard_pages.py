"""Every dashboard page renders on a small shop, and the order list filters and exports."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from orderly.kit.db import Database
from orderly.payments import lifecycle
from tests.factories import place_order
from tests.web.shop import Shop, place_pickup, sign_in


async def test_every_page_renders(db: Database, web: httpx.AsyncClient, shop: Shop) -> None:
    order = await place_order(db, shop.org, [("MUG", 2), ("TEE", 1)])
    await place_pickup(db, shop)
    await sign_in(web, shop, "admin")

    pages = [
        "/app/",
        "/app/orders",
        f"/app/orders/{order['id']}",
        "/app/inventory",
        "/app/inventory?sku=MUG",
        "/app/inventory/ledger?sku=MUG&location=WH1",
        "/app/fulfillment",
        "/app/fulfillment/WH1",
        "/app/store",
        "/app/store/ST1",
        "/app/settings",
        "/app/settings/users",
        "/app/settings/api-keys",
    ]
    for path in pages:
        response = await web.get(path, follow_redirects=True)
        assert response.status_code == 200, (path, response.text[:2000])
        assert "<h1" in response.text, path
    home = await web.get("/app/")
    assert "<svg" in home.text
    assert "no returns yet" in home.text or "of shipped orders" in home.text


async def test_an_unknown_order_is_a_plain_not_found_page(
    web: httpx.AsyncClient, shop: Shop
) -> None:
    await sign_in(web, shop, "admin")

    response = await web.get("/app/orders/999999999")

    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
    assert "no order" in response.text


async def test_the_order_list_searches_and_exports(
    db: Database, web: httpx.AsyncClient, shop: Shop
) -> None:
    first = await place_order(db, shop.org, [("MUG", 1)], external_id="EXT-42", channel="web")
    second = await place_order(db, shop.org, [("TEE", 1)])
    held = await place_order(db, shop.org, [("TEE", 1)])
    token = await sign_in(web, shop, "admin")
    await web.post(f"/app/orders/{held['id']}/hold", data={"csrf_token": token, "reason": "x"})

    by_external = await web.get("/app/orders", params={"q": "EXT-42"})
    by_sku = await web.get("/app/orders", params={"q": "TEE"})
    on_hold = await web.get("/app/orders.csv", params={"status": "on_hold"})
    everything = await web.get("/app/orders.csv")

    assert first["number"] in by_external.text and second["number"] not in by_external.text
    assert second["number"] in by_sku.text and first["number"] not in by_sku.text
    assert on_hold.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(on_hold.text)))
    assert [r["number"] for r in rows] == [held["number"]]
    numbers = {r["number"] for r in csv.DictReader(io.StringIO(everything.text))}
    assert numbers == {first["number"], second["number"], held["number"]}


async def test_the_export_neutralises_cells_that_would_start_a_formula(
    db: Database, web: httpx.AsyncClient, shop: Shop
) -> None:
    formulas = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1"]
    for external_id in formulas:
        await place_order(db, shop.org, [("MUG", 1)], external_id=external_id)
    await sign_in(web, shop, "admin")

    export = await web.get("/app/orders.csv")

    assert export.status_code == 200
    cells = {r["external_id"] for r in csv.DictReader(io.StringIO(export.text))}
    assert cells == {"'" + f for f in formulas}


async def test_a_bad_filter_is_explained(web: httpx.AsyncClient, shop: Shop) -> None:
    await sign_in(web, shop, "admin")

    response = await web.get("/app/orders", params={"from": "yesterday"})

    assert response.status_code == 422
    assert "YYYY-MM-DD" in response.text


NUL = "a\x00b"
BAD_FILTERS = [
    *(("/app/orders", name, NUL) for name in ("q", "tag", "location", "channel", "status")),
    *(("/app/orders.csv", name, NUL) for name in ("q", "tag", "location", "channel")),
    ("/app/orders", "from", "2024-02-30"),
    ("/app/orders", "to", "9999-12-31"),
    ("/app/orders.csv", "to", "9999-12-31"),
    ("/app/orders", "cursor", "W3RydWVd"),
    ("/app/inventory", "sku", NUL),
    ("/app/inventory", "cursor", "W3RydWVd"),
    ("/app/returns", "order", "99999999999999999999"),
    ("/app/returns", "order", "²"),
    ("/app/returns", "cursor", "W3RydWVd"),
    ("/app/automation/fraud", "cursor", "W3RydWVd"),
    ("/app/automation/late", "since", NUL),
]
BAD_PATHS = ["/app/orders/99999999999999999999", "/app/returns/99999999999999999999"]


async def test_bad_filters_and_ids_are_a_4xx_page(
    db: Database, web: httpx.AsyncClient, shop: Shop, subtests: pytest.Subtests
) -> None:
    await place_order(db, shop.org, [("MUG", 1)])
    await sign_in(web, shop, "admin")

    for path, name, value in BAD_FILTERS:
        with subtests.test(path=path, name=name, value=value):
            response = await web.get(path, params={name: value})
            assert 400 <= response.status_code < 500, response.text[:500]
            assert "text/html" in response.headers["content-type"]
    for path in BAD_PATHS:
        with subtests.test(path=path):
            response = await web.get(path)
            assert 400 <= response.status_code < 500, response.text[:500]


async def test_the_order_page_shows_the_customers_store_credit(
    db: Database, web: httpx.AsyncClient, shop: Shop
) -> None:
    order = await place_order(
        db, shop.org, [("MUG", 1)], payment={"status": "captured", "amount": "19.99"}
    )
    await sign_in(web, shop, "viewer")
    before = await web.get(f"/app/orders/{order['id']}")
    assert "store credit" not in before.text
    goodwill = await web.post(
        f"/v1/orders/{order['id']}/refunds",
        json={"amount": "5.00", "destination": "store_credit", "reason": "late"},
        headers=shop.org.headers,
    )
    assert goodwill.status_code == 201, goodwill.text

    page = await web.get(f"/app/orders/{order['id']}")

    assert page.status_code == 200
    assert "Customer&#39;s store credit" in page.text or "Customer's store credit" in page.text
    assert "5.00 USD" in page.text


async def test_a_split_order_shows_a_limited_user_their_locations_work_only(
    db: Database, web: httpx.AsyncClient, client: httpx.AsyncClient, shop: Shop
) -> None:
    split = await place_order(db, shop.org, [("MUG", 55)])
    fos = await client.get(
        "/v1/fulfillment-orders", params={"order_id": split["id"]}, headers=shop.org.headers
    )
    by_location = {fo["location"]: fo["id"] for fo in fos.json()["items"]}
    assert set(by_location) == {"WH1", "ST1"}
    await sign_in(web, shop, "store")

    page = await web.get(f"/app/orders/{split['id']}")

    assert page.status_code == 200
    assert f'#fo-{by_location["ST1"]}"' in page.text
    assert f'#fo-{by_location["WH1"]}"' not in page.text


async def test_the_order_page_shows_each_payment_and_what_a_person_must_look_at(
    db: Database, web: httpx.AsyncClient, shop: Shop
) -> None:
    now = datetime.now(UTC)
    order = await place_order(
        db,
        shop.org,
        [("MUG", 2)],
        payments=[
            {"status": "captured", "amount": "10.00", "method": "gift_card", "reference": "GC-77"},
            {
                "status": "authorized",
                "amount": "29.98",
                "method": "card",
                "reference": "pi_page",
                "authorization_expires_at": (now + timedelta(hours=3)).isoformat(),
            },
        ],
    )
    await lifecycle.watch_authorizations(db, now)
    await sign_in(web, shop, "viewer")
    page = await web.get(f"/app/orders/{order['id']}")
    assert page.status_code == 200
    payments = page.text.split('id="payments"')[1].split("</ul>")[0]
    assert "GC-77" in payments and "pi_page" in payments
    assert "ship and capture before" in payments
