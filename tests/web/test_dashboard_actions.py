"""Acting from the dashboard: order actions, the fulfillment queues and the store counter."""

from __future__ import annotations

import re
from typing import Any

import httpx

from orderly.kit.db import Database
from orderly.settings import Settings
from tests.factories import place_order
from tests.fulfillment.helpers import customer_pickup_code
from tests.web.shop import Shop, place_pickup, sign_in


async def api_order(web: httpx.AsyncClient, shop: Shop, order_id: int) -> dict[str, Any]:
    response = await web.get(f"/v1/orders/{order_id}", headers=shop.org.headers)
    return dict(response.json())


async def fulfillment_of(web: httpx.AsyncClient, shop: Shop, order_id: int) -> dict[str, Any]:
    response = await web.get(
        "/v1/fulfillment-orders", params={"order_id": order_id}, headers=shop.org.headers
    )
    return dict(response.json()["items"][0])


async def test_hold_release_note_tag_address_and_cancel(
    db: Database, web: httpx.AsyncClient, shop: Shop
) -> None:
    order = await place_order(db, shop.org, [("MUG", 1)])
    token = await sign_in(web, shop, "support")
    url = f"/app/orders/{order['id']}"

    await web.post(f"{url}/hold", data={"csrf_token": token, "reason": "customer called"})
    assert (await api_order(web, shop, order["id"]))["status"] == "on_hold"
    await web.post(f"{url}/release", data={"csrf_token": token})
    assert (await api_order(web, shop, order["id"]))["status"] == "allocated"
    await web.post(f"{url}/note", data={"csrf_token": token, "note": "gift wrap please"})
    await web.post(f"{url}/tag", data={"csrf_token": token, "tag": "vip"})
    address = {"name": "Ann", "line1": "9 Oak St", "city": "Boston", "postal_code": "02111",
               "country": "us", "csrf_token": token}  # fmt: skip
    await web.post(f"{url}/address", data=address)
    empty = await web.post(f"{url}/cancel", data={"csrf_token": token, "reason": ""})
    page = await web.get(url)
    assert "say why the order is cancelled" in page.text

    after = await api_order(web, shop, order["id"])
    assert after["notes"] == "gift wrap please"
    assert after["tags"] == ["vip"]
    assert after["shipping_address"]["line1"] == "9 Oak St"
    assert after["shipping_address"]["country"] == "US"
    assert empty.status_code == 303 and after["status"] == "allocated"

    await web.post(f"{url}/cancel", data={"csrf_token": token, "reason": "changed their mind"})
    page = await web.get(url)
    assert (await api_order(web, shop, order["id"]))["status"] == "cancelled"
    assert "order.cancelled" in page.text and "changed their mind" in page.text


async def test_a_partially_shipped_order_offers_to_cancel_only_what_has_not_shipped(
    db: Database, web: httpx.AsyncClient, shop: Shop
) -> None:
    order = await place_order(db, shop.org, [("MUG", 3)])
    fo = await fulfillment_of(web, shop, order["id"])
    api = f"/v1/fulfillment-orders/{fo['id']}"
    headers = shop.org.headers
    assert (await web.post(f"{api}/accept", headers=headers)).status_code == 200
    wave = await web.post("/v1/pick-lists", json={"location": fo["location"]}, headers=headers)
    await web.post(f"/v1/pick-lists/{wave.json()['id']}/confirm", json={}, headers=headers)
    parcels = [{"box": "S", "items": [{"line_no": 1, "quantity": q}]} for q in (1, 2)]
    packed = await web.post(f"{api}/pack", json={"parcels": parcels}, headers=headers)
    first = packed.json()["parcels"][0]["id"]
    shipped = await web.post(f"{api}/ship", json={"parcels": [first]}, headers=headers)
    assert shipped.status_code == 200, shipped.text
    token = await sign_in(web, shop, "support")
    url = f"/app/orders/{order['id']}"

    page = await web.get(url)
    assert "Cancel unshipped units" in page.text and "Cancel order" not in page.text
    await web.post(f"{url}/cancel-unshipped", data={"csrf_token": token, "reason": "too late"})

    after = await api_order(web, shop, order["id"])
    assert (after["status"], after["lines"][0]["cancelled"]) == ("shipped", 2)
    assert "order.units_cancelled" in (await web.get(url)).text


async def test_a_refused_action_is_explained_and_changes_nothing(
    db: Database, web: httpx.AsyncClient, shop: Shop
) -> None:
    order = await place_order(db, shop.org, [("MUG", 1)])
    token = await sign_in(web, shop, "admin")
    url = f"/app/orders/{order['id']}"

    response = await web.post(f"{url}/release", data={"csrf_token": token})
    page = await web.get(url)

    assert response.status_code == 303
    assert "not on hold" in page.text
    assert (await api_order(web, shop, order["id"]))["status"] == "allocated"


async def test_accept_pick_pack_ship_and_print_the_label(
    db: Database, web: httpx.AsyncClient, shop: Shop
) -> None:
    order = await place_order(db, shop.org, [("MUG", 2)])
    fo = await fulfillment_of(web, shop, order["id"])
    token = await sign_in(web, shop, "warehouse")
    base = f"/app/fulfillment/orders/{fo['id']}"

    queue = await web.get("/app/fulfillment/WH1")
    assert order["number"] in queue.text
    await web.post(f"{base}/accept", data={"csrf_token": token})
    picked = await web.post(f"{base}/pick", data={"csrf_token": token})
    assert picked.status_code == 303 and picked.headers["location"].startswith("/app/pick-lists/")
    pick_list = await web.get(picked.headers["location"])
    assert "MUG" in pick_list.text
    pdf = await web.get(picked.headers["location"] + ".pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    await web.post(f"{base}/pack", data={"csrf_token": token, "box": ""})
    await web.post(f"{base}/ship", data={"csrf_token": token})

    shipped = await fulfillment_of(web, shop, order["id"])
    assert shipped["status"] == "shipped"
    shipment_id = shipped["parcels"][0]["shipment_id"]
    label = await web.get(f"/app/shipments/{shipment_id}/label.pdf")
    zpl = await web.get(f"/app/shipments/{shipment_id}/label.zpl")
    assert label.status_code == 200 and label.content.startswith(b"%PDF")
    assert zpl.status_code == 200 and "^XA" in zpl.text
    assert (await api_order(web, shop, order["id"]))["status"] == "shipped"
    detail = await web.get(f"/app/orders/{order['id']}")
    assert shipped["parcels"][0]["tracking_number"] in detail.text


async def test_a_store_hands_over_a_pickup_against_its_code(
    db: Database, web: httpx.AsyncClient, shop: Shop, settings: Settings
) -> None:
    order = await place_pickup(db, shop)
    fo = await fulfillment_of(web, shop, order["id"])
    token = await sign_in(web, shop, "store")

    await web.post(f"/app/fulfillment/orders/{fo['id']}/accept", data={"csrf_token": token})
    await web.post(
        f"/app/fulfillment/orders/{fo['id']}/pick",
        data={"csrf_token": token, "back": "/app/store/ST1"},
    )
    await web.post(f"/app/store/orders/{fo['id']}/ready", data={"csrf_token": token})
    counter = await web.get("/app/store/ST1")
    assert "The customer is sent their pickup code" in counter.text
    code = await customer_pickup_code(web, shop.org, settings, order["id"])
    assert code not in counter.text and code not in str(web.cookies.jar)
    wrong = await web.post(
        f"/app/store/orders/{fo['id']}/collect", data={"csrf_token": token, "code": "WRONG"}
    )
    after_wrong = await web.get("/app/store/ST1")
    await web.post(
        f"/app/store/orders/{fo['id']}/collect",
        data={"csrf_token": token, "code": code},
    )

    assert wrong.status_code == 303 and "does not match" in after_wrong.text
    assert (await api_order(web, shop, order["id"]))["status"] == "delivered"
    assert (await fulfillment_of(web, shop, order["id"]))["status"] == "delivered"


async def test_an_admin_adds_a_user_and_issues_a_key_shown_once(
    web: httpx.AsyncClient, shop: Shop
) -> None:
    token = await sign_in(web, shop, "admin")

    short = await web.post(
        "/app/settings/users",
        data={
            "csrf_token": token,
            "email": "new@example.com",
            "password": "short",
            "role": "viewer",
        },
    )
    made = await web.post(
        "/app/settings/users",
        data={
            "csrf_token": token,
            "email": "new@example.com",
            "password": "long enough password",
            "role": "fulfillment",
            "locations": str(shop.location_ids["ST1"]),
        },
    )
    listed = await web.get("/app/settings/users")
    issued = await web.post(
        "/app/settings/api-keys", data={"csrf_token": token, "name": "shop", "role": "viewer"}
    )
    again = await web.get("/app/settings/api-keys")

    assert short.status_code == 422 and "at least 10 characters" in short.text
    assert made.status_code == 303
    assert "new@example.com" in listed.text and "ST1" in listed.text
    key = re.search(r'value="(oly_[^"]+)"', issued.text)
    assert key
    assert key.group(1) not in again.text
    check = await web.get("/v1/orders", headers={"Authorization": f"Bearer {key.group(1)}"})
    assert check.status_code == 200
