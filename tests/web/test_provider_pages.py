"""Settings > Outside fulfillment: a supplier's provider and health are listed, a stock
difference its count found is accepted from the page (the ledger takes the count), and a user
of another location or without the inventory permission can do nothing with it."""

from __future__ import annotations

import httpx

from orderly.kit.clock import utcnow
from orderly.kit.db import Database
from orderly.outside import stock
from orderly.outside.access import provider_row
from orderly.outside.port import StockSnapshot
from tests.factories import create_location, receive_stock
from tests.orders.helpers import stock_of
from tests.outside.helpers import provider_id
from tests.web.shop import Shop, sign_in

PAGE = "/app/settings/providers"


async def supplier_with_a_count(db: Database, client: httpx.AsyncClient, shop: Shop) -> int:
    """SUP, a drop-ship supplier connected by e-mail with 10 MUG on our books, whose own count
    says 7: one difference waits. Returns the difference's id."""
    await create_location(db, shop.org, "SUP", kind="supplier")
    await receive_stock(db, shop.org, "MUG", "SUP", 10)
    connected = await client.put(
        "/v1/locations/SUP/provider",
        json={"kind": "email", "settings": {"email": "orders@supplier.example"}},
        headers=shop.org.headers,
    )
    assert connected.status_code == 200, connected.text
    row = await provider_row(db, await provider_id(db, shop.org, "SUP"))
    counted = StockSnapshot("count-1", utcnow(), {"MUG": 7})
    assert await stock.record_snapshot(db, row, counted) == 1
    listed = await client.get("/v1/locations/SUP/provider/differences", headers=shop.org.headers)
    return int(listed.json()["items"][0]["id"])


async def test_a_difference_is_accepted_from_the_providers_page(
    db: Database, client: httpx.AsyncClient, web: httpx.AsyncClient, shop: Shop
) -> None:
    difference = await supplier_with_a_count(db, client, shop)
    token = await sign_in(web, shop, "admin")

    listed = await web.get(PAGE)
    assert listed.status_code == 200
    assert 'href="/app/settings/providers/SUP"' in listed.text and "email" in listed.text
    detail = await web.get(f"{PAGE}/SUP")
    assert detail.status_code == 200
    assert "MUG" in detail.text and "-3" in detail.text
    assert f"/differences/{difference}/accept" in detail.text

    accepted = await web.post(
        f"{PAGE}/SUP/differences/{difference}/accept", data={"csrf_token": token}
    )
    assert accepted.status_code == 303
    after = await web.get(f"{PAGE}/SUP")
    assert f"Difference {difference} accepted." in after.text
    assert "Nothing to decide." in after.text
    assert (await stock_of(client, shop.org.headers, "MUG"))["SUP"]["on_hand"] == 7
    ledger = await client.get(
        "/v1/inventory/ledger", params={"sku": "MUG", "limit": 200}, headers=shop.org.headers
    )
    at_supplier = [m for m in ledger.json()["items"] if m["location"] == "SUP"]
    assert [(m["reason"], m["on_hand_delta"]) for m in at_supplier if m["on_hand_delta"] < 0] == [
        ("3pl_count", -3)
    ]


async def test_a_user_of_another_location_sees_nothing_and_a_viewer_changes_nothing(
    db: Database, client: httpx.AsyncClient, web: httpx.AsyncClient, shop: Shop
) -> None:
    difference = await supplier_with_a_count(db, client, shop)

    token = await sign_in(web, shop, "warehouse")  # limited to WH1
    assert "SUP" not in (await web.get(PAGE)).text
    assert (await web.get(f"{PAGE}/SUP")).status_code == 404
    refused = await web.post(
        f"{PAGE}/SUP/differences/{difference}/accept", data={"csrf_token": token}
    )
    assert refused.status_code == 404

    web.cookies.clear()
    token = await sign_in(web, shop, "viewer")
    detail = await web.get(f"{PAGE}/SUP")
    assert detail.status_code == 200 and "/accept" not in detail.text
    forbidden = await web.post(
        f"{PAGE}/SUP/differences/{difference}/accept", data={"csrf_token": token}
    )
    assert forbidden.status_code == 403
    assert (await stock_of(client, shop.org.headers, "MUG"))["SUP"]["on_hand"] == 10
