"""Inventory > What channels see: per SKU, the units each connected channel is shown with the
stock pools applied; organization-wide, so not for a location-limited user."""

from __future__ import annotations

import secrets

import httpx

from orderly.kit.db import Database
from tests.connections.memory_platform import MemoryShop
from tests.connections.test_connections import SHOPS, connect
from tests.web.shop import Shop, sign_in


async def test_each_channel_shows_its_share_of_each_sku(
    db: Database, client: httpx.AsyncClient, web: httpx.AsyncClient, shop: Shop
) -> None:
    base_url = f"http://127.0.0.1:9/shop-{secrets.token_hex(4)}"
    SHOPS[base_url] = MemoryShop()
    try:
        await connect(client, shop.org, base_url)
        stock = await client.get("/v1/inventory", params={"sku": "MUG"}, headers=shop.org.headers)
        total = stock.json()["items"][0]["totals"]["available"]
        pools = await client.put(
            "/v1/stock-pools",
            json={"model": "allocated", "shares": {"web": {"percent": 50}}},
            headers=shop.org.headers,
        )
        assert pools.status_code == 200, pools.text
        await sign_in(web, shop, "admin")
        page = await web.get("/app/inventory/channels", params={"sku": "MUG"})
        assert page.status_code == 200
        table = page.text.split('id="channel-stock"')[1].split("</table>")[0]
        assert '<th scope="row">MUG</th>' in table
        assert f'<td class="num">{total // 2}</td>' in table
        assert "allocated" in page.text and "web 50%" in page.text
    finally:
        SHOPS.pop(base_url, None)


async def test_a_location_limited_user_is_not_shown_the_organizations_figures(
    web: httpx.AsyncClient, shop: Shop
) -> None:
    await sign_in(web, shop, "store")
    assert (await web.get("/app/inventory/channels")).status_code == 403
