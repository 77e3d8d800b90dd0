"""Settings > Connections in the dashboard: an admin connects a store with masked credentials,
copies its webhook URL, sees its health and waiting work, edits and syncs it; the credentials
never come back, and a viewer sees no action and a crafted POST is refused."""

from __future__ import annotations

import re

import httpx

from orderly.kit.db import Database
from tests.factories import create_channel
from tests.web.shop import Shop, sign_in

TOKEN = "shpat_" + "a1" * 16
APP_SECRET = "shpss_" + "b2" * 16


async def connect_shopify(web: httpx.AsyncClient, token: str) -> httpx.Response:
    return await web.post(
        "/app/settings/connections",
        data={
            "csrf_token": token,
            "platform": "shopify",
            "shopify.channel": "shopify",
            "shopify.base_url": "https://acme.myshopify.com",
            "shopify.access_token": TOKEN,
            "shopify.client_secret": APP_SECRET,
        },
    )


async def test_an_admin_connects_a_store_and_sees_it_without_its_credentials(
    db: Database, web: httpx.AsyncClient, shop: Shop
) -> None:
    await create_channel(db, shop.org, "shopify")
    token = await sign_in(web, shop, "admin")

    page = await web.get("/app/settings/connections")
    assert page.status_code == 200 and "No store is connected yet." in page.text
    assert 'type="password"' in page.text  # credentials are typed masked

    connected = await connect_shopify(web, token)
    assert connected.status_code == 303
    detail_url = connected.headers["location"]
    connection_id = int(detail_url.rsplit("/", 1)[1])

    detail = await web.get(detail_url)
    assert detail.status_code == 200
    assert f"/hooks/shopify/{connection_id}" in detail.text  # the URL to copy
    assert "read_all_orders" in detail.text  # Shopify's note for old orders
    listed = await web.get("/app/settings/connections")
    assert "acme.myshopify.com" in listed.text
    for text in (detail.text, listed.text):
        assert TOKEN not in text and APP_SECRET not in text

    edited = await web.post(
        detail_url,
        data={
            "csrf_token": token,
            "base_url": "https://acme.myshopify.com",
            "stock_buffer": "3",
            "on_shortage": "hold",
            "push_stock": "on",
            "active": "on",
        },
    )
    assert edited.status_code == 303
    api = await web.get(f"/v1/connections/{connection_id}", headers=shop.org.headers)
    settings = api.json()["settings"]
    assert (settings["stock_buffer"], settings["on_shortage"]) == (3, "hold")
    assert settings["push_fulfillments"] is False
    assert api.json()["credential_keys"] == ["access_token", "client_secret"]

    synced = await web.post(f"{detail_url}/sync", data={"csrf_token": token})
    assert synced.status_code == 303
    resynced = await web.post(f"{detail_url}/inventory-resync", data={"csrf_token": token})
    assert resynced.status_code == 303

    removed = await web.post(f"{detail_url}/delete", data={"csrf_token": token})
    assert removed.status_code == 303
    assert (
        await web.get(f"/v1/connections/{connection_id}", headers=shop.org.headers)
    ).status_code == 404


async def test_a_bad_store_address_is_shown_next_to_its_field_and_nothing_is_made(
    db: Database, web: httpx.AsyncClient, shop: Shop
) -> None:
    await create_channel(db, shop.org, "shopify")
    token = await sign_in(web, shop, "admin")
    refused = await web.post(
        "/app/settings/connections",
        data={
            "csrf_token": token,
            "platform": "shopify",
            "shopify.channel": "shopify",
            "shopify.base_url": "ftp://acme.example.com",
            "shopify.access_token": TOKEN,
            "shopify.client_secret": APP_SECRET,
        },
    )
    assert refused.status_code == 422
    assert re.search(r'class="field-error" id="[^"]*base_url-error"', refused.text)
    assert TOKEN not in refused.text
    api = await web.get("/v1/connections", headers=shop.org.headers)
    assert api.json()["items"] == []


async def test_a_viewer_sees_no_action_and_a_crafted_post_is_refused(
    db: Database, web: httpx.AsyncClient, shop: Shop
) -> None:
    await create_channel(db, shop.org, "shopify")
    token = await sign_in(web, shop, "viewer")
    page = await web.get("/app/settings/connections")
    assert page.status_code == 200 and "Connect a store" not in page.text
    crafted = await connect_shopify(web, token)
    assert crafted.status_code == 403
    api = await web.get("/v1/connections", headers=shop.org.headers)
    assert api.json()["items"] == []
