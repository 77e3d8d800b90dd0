"""The till in a real browser: a store associate scans products with a keyboard-wedge scanner
(keystrokes ending in Enter), takes cash, prints the receipt, then takes one unit back by
scanning the receipt."""

from __future__ import annotations

import re

import httpx
from playwright.async_api import Browser, expect

from orderly.kit.db import Database
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_dashboard_in_browser import signed_in
from tests.factories import create_channel
from tests.web.shop import open_shop

MUG_GTIN = "4006381333931"


async def test_scan_sell_and_print_the_receipt(
    browser: Browser, server: str, client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(db)
    headers = shop.org.headers
    await create_channel(db, shop.org, "pos", kind="pos")
    products = await client.get("/v1/products", headers=headers)
    mug = next(p for p in products.json()["items"] if p["sku"] == "MUG")
    priced = await client.patch(
        f"/v1/products/{mug['id']}",
        json={"gtin": MUG_GTIN, "list_price": {"amount": "12.00", "currency": "USD"}},
        headers=headers,
    )
    assert priced.status_code == 200, priced.text
    taxed = await client.patch(
        f"/v1/locations/{shop.location_ids['ST1']}",
        json={
            "sales_tax": {"name": "City tax", "rate": "5"},
            "capabilities": ["ship", "pickup", "returns"],
        },
        headers=headers,
    )
    assert taxed.status_code == 200, taxed.text
    before = await client.get("/v1/inventory", params={"sku": "MUG"}, headers=headers)
    on_hand = {r["location"]: r["on_hand"] for r in before.json()["items"][0]["locations"]}

    page = await signed_in(browser, server, shop, "store")
    await page.get_by_role("link", name="Till").click()
    await expect(page.get_by_role("heading", name="Till at ST1")).to_be_visible()
    scan = page.get_by_label("Scan or type a SKU or barcode")
    # A scanner types the barcode and Enter, twice; the field keeps the focus for the next.
    for _ in range(2):
        await expect(scan).to_be_focused()
        await page.keyboard.type(MUG_GTIN)
        await page.keyboard.press("Enter")
        await expect(page.get_by_role("heading", name="Till at ST1")).to_be_visible()
    await expect(page.locator("#pos-total")).to_have_text("25.20")  # 2 x 12.00 + 5 %
    await page.screenshot(path=str(SCREENSHOTS / "till.png"), full_page=True)

    await page.get_by_label("Cash handed over").fill("30")
    await page.get_by_role("button", name="Sell").click()
    await expect(page.get_by_role("heading", name=re.compile("Sold: SO-"))).to_be_visible()
    await expect(page.get_by_text("Change 4.80")).to_be_visible()
    await expect(page.get_by_text("The cart is empty")).to_be_visible()
    receipt = page.get_by_role("link", name="Print receipt")
    href = await receipt.get_attribute("href")
    assert href
    response = await page.request.get(server + href)
    assert response.ok and response.headers["content-type"] == "application/pdf"
    assert (await response.body()).startswith(b"%PDF")

    after = await client.get("/v1/inventory", params={"sku": "MUG"}, headers=headers)
    now = {r["location"]: r["on_hand"] for r in after.json()["items"][0]["locations"]}
    assert now["ST1"] == on_hand["ST1"] - 2

    number = (await page.get_by_role("heading", name=re.compile("Sold: SO-")).inner_text())[6:]
    await page.get_by_role("link", name="Take a return").click()
    await expect(page.get_by_label("Scan the receipt or type the order number")).to_be_focused()
    await page.keyboard.type(number)
    await page.keyboard.press("Enter")
    await page.get_by_label("Taking back of MUG").fill("1")
    await page.get_by_role("button", name="Take back and refund").click()
    await expect(page.get_by_text(re.compile(r"12\.60 USD given back"))).to_be_visible()
    back = await client.get("/v1/inventory", params={"sku": "MUG"}, headers=headers)
    final = {r["location"]: r["on_hand"] for r in back.json()["items"][0]["locations"]}
    assert final["ST1"] == on_hand["ST1"] - 1
    await page.context.close()
