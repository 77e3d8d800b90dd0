"""The dashboard in a real browser: sign in, follow an order from the API to its shipment,
hand a pickup over at the store, and a viewer who cannot act. Screenshots of each main page
land in artifacts/screenshots/."""

from __future__ import annotations

import re
from typing import Any

import httpx
from playwright.async_api import Browser, Page, expect

from orderly.kit.db import Database
from orderly.settings import Settings
from tests.browser.conftest import SCREENSHOTS
from tests.factories import order_body, place_order
from tests.fulfillment.helpers import customer_pickup_code
from tests.web.shop import PASSWORD, Shop, open_shop, place_pickup

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


async def signed_in(browser: Browser, server: str, shop: Shop, who: str, **options: Any) -> Page:
    context = await browser.new_context(viewport=options.get("viewport", DESKTOP))
    page = await context.new_page()
    await page.goto(f"{server}/app/")
    await expect(page).to_have_url(re.compile(r"/app/login"))
    await page.get_by_label("Organization").fill(shop.org.slug)
    await page.get_by_label("E-mail").fill(shop.email(who))
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Today")).to_be_visible()
    return page


async def shot(page: Page, name: str) -> None:
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


async def test_an_order_from_the_api_is_picked_packed_shipped_and_labelled(
    browser: Browser, server: str, client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(db)
    await place_order(db, shop.org, [("TEE", 1)], channel="web")
    page = await signed_in(browser, server, shop, "admin")
    await shot(page, "home")

    # The order of the test's title arrives through the API while the admin is signed in.
    response = await client.post(
        "/v1/orders", json=order_body([("MUG", 2)]), headers=shop.org.headers
    )
    assert response.status_code == 201, response.text
    order = response.json()
    await page.get_by_role("link", name="Orders", exact=True).click()
    await expect(page.get_by_role("link", name=order["number"])).to_be_visible()
    await shot(page, "orders")
    await page.get_by_role("link", name=order["number"]).click()
    await expect(page.get_by_role("heading", name=re.compile(order["number"]))).to_be_visible()
    await expect(page.get_by_text("Why there")).to_be_visible()
    await shot(page, "order")

    await page.get_by_role("link", name="Inventory").click()
    await expect(page.get_by_role("heading", name="Inventory")).to_be_visible()
    await shot(page, "inventory")

    await page.goto(f"{server}/app/fulfillment/WH1")
    item = page.locator(".work-item", has_text=order["number"])
    await item.get_by_role("button", name="Accept").click()
    await (
        page.locator(".work-item", has_text=order["number"])
        .get_by_role("button", name="Pick")
        .click()
    )
    await expect(page.get_by_role("heading", name=re.compile("Pick list"))).to_be_visible()
    await shot(page, "pick-list")
    await page.get_by_role("button", name="Confirm picks").click()
    await expect(page.get_by_text("Picks recorded.")).to_be_visible()
    await (
        page.locator(".work-item", has_text=order["number"])
        .get_by_role("button", name="Pack")
        .click()
    )
    await expect(page.get_by_text(f"Packed {order['number']}.")).to_be_visible()
    await shot(page, "fulfillment")
    await (
        page.locator(".work-item", has_text=order["number"])
        .get_by_role("button", name="Buy label and ship")
        .click()
    )
    await expect(page.get_by_text("the label is ready to print")).to_be_visible()
    label = page.locator(".work-item", has_text=order["number"]).get_by_role(
        "link", name="label PDF"
    )
    href = await label.get_attribute("href")
    assert href
    response = await page.request.get(server + href)
    assert response.ok and response.headers["content-type"] == "application/pdf"
    assert (await response.body()).startswith(b"%PDF")

    await page.goto(f"{server}/app/orders/{order['id']}")
    await expect(page.get_by_role("heading", name=re.compile("shipped"))).to_be_visible()
    await page.goto(f"{server}/app/settings")
    await shot(page, "settings")
    await page.context.close()


async def test_a_store_associate_hands_over_a_pickup_by_code(
    browser: Browser, server: str, client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    shop = await open_shop(db)
    order = await place_pickup(db, shop)
    page = await signed_in(browser, server, shop, "store", viewport=PHONE)

    await page.goto(f"{server}/app/store")
    await expect(page.get_by_role("heading", name="Store pickup at ST1")).to_be_visible()
    work = page.locator(".work-item", has_text=order["number"])
    await work.get_by_role("button", name="Accept").click()
    await (
        page.locator(".work-item", has_text=order["number"])
        .get_by_role("button", name="Pick")
        .click()
    )
    await (
        page.locator(".work-item", has_text=order["number"])
        .get_by_role("button", name="Ready for pickup")
        .click()
    )
    await expect(page.get_by_text("The customer is sent their pickup code")).to_be_visible()
    code = await customer_pickup_code(client, shop.org, settings, order["id"])
    await shot(page, "store-phone")
    await page.get_by_label("Pickup code").fill(code.lower())
    await page.get_by_role("button", name="Hand over").click()
    await expect(page.get_by_text(f"{order['number']} is handed over.")).to_be_visible()
    status = await client.get(f"/v1/orders/{order['id']}", headers=shop.org.headers)
    assert status.json()["status"] == "delivered"
    await page.context.close()


async def test_a_viewer_sees_no_actions_and_a_crafted_post_is_refused(
    browser: Browser, server: str, client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(db)
    order = await place_order(db, shop.org, [("MUG", 1)])
    page = await signed_in(browser, server, shop, "viewer")

    await page.goto(f"{server}/app/orders/{order['id']}")
    await expect(page.get_by_role("heading", name=re.compile(order["number"]))).to_be_visible()
    await expect(page.get_by_role("button", name="Cancel order")).to_have_count(0)
    await expect(page.get_by_role("button", name="Hold")).to_have_count(0)
    await page.goto(f"{server}/app/fulfillment/WH1")
    await expect(page.get_by_role("button", name="Accept")).to_have_count(0)
    await shot(page, "viewer-fulfillment")
    token = await page.locator('input[name="csrf_token"]').first.get_attribute("value")
    crafted = await page.request.post(
        f"{server}/app/orders/{order['id']}/cancel",
        form={"csrf_token": token or "", "reason": "crafted"},
    )
    assert crafted.status == 403
    status = await client.get(f"/v1/orders/{order['id']}", headers=shop.org.headers)
    assert status.json()["status"] == "allocated"
    await page.context.close()


async def test_the_content_security_policy_blocks_nothing_of_the_dashboards_own(
    browser: Browser, server: str, db: Database
) -> None:
    shop = await open_shop(db)
    page = await signed_in(browser, server, shop, "admin")
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )

    for path in ("/app/", "/app/orders", "/app/inventory", "/app/settings/users", "/app/account"):
        await page.goto(f"{server}{path}")
    await page.goto(f"{server}/app/settings/api-keys")
    await page.get_by_label("Name (what it is for)").fill("shop sync")
    await page.get_by_role("button", name="Issue key").click()
    key = page.get_by_label("Key")
    await key.focus()  # orderly.js selects the new key on focus, ready to copy
    selected = await key.evaluate("input => input.selectionEnd - input.selectionStart")
    key_length = len(await key.input_value())
    header = await page.evaluate(
        "getComputedStyle(document.querySelector('header.top')).backgroundColor"
    )

    await page.goto(f"{server}/app/settings/notification-templates/shipped")
    await page.get_by_role("button", name="Preview").click()
    mail = page.frame_locator("iframe.mail-preview").locator("body")
    mail_font = await mail.evaluate("body => getComputedStyle(body).fontFamily")

    assert refused == []
    assert "Helvetica" in mail_font  # the e-mail's own inline style, inside the sandbox
    assert selected == key_length > 0
    assert header == "rgb(23, 32, 46)"  # the stylesheet's own colour, so it loaded
