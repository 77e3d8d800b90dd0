"""A return in a real browser: an order placed and shipped through the API, then a return
started from the order's page, received into stock and refunded, with the refund on the
order's timeline. Screenshots of the returns, automation and settings pages (desktop and
phone) land in artifacts/screenshots/."""

from __future__ import annotations

import re

import httpx
from playwright.async_api import Browser, Dialog, Page, expect

from orderly.kit.db import Database
from tests.browser.test_dashboard_in_browser import PHONE, shot, signed_in
from tests.factories import shipped_order
from tests.web.shop import open_shop
from tests.web.test_automation_pages import hold_big_orders, reorder_mugs
from tests.web.test_returns_pages import returns_location


async def accept_dialogs(dialog: Dialog) -> None:
    await dialog.accept()


async def test_start_receive_and_refund_a_return(
    browser: Browser, server: str, client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(db)
    await returns_location(db, shop)
    order = await shipped_order(db, shop.org, [("MUG", 2)])
    page = await signed_in(browser, server, shop, "admin")
    page.on("dialog", accept_dialogs)

    await page.goto(f"{server}/app/orders/{order['id']}")
    await page.get_by_role("link", name="Start a return").click()
    await expect(
        page.get_by_role("heading", name=f"Start a return for {order['number']}")
    ).to_be_visible()
    await page.get_by_label("Units of MUG to return").fill("1")
    await page.get_by_label("Reason").select_option("damaged")
    await page.get_by_label(re.compile("Store or returns location")).select_option("RT1")
    await shot(page, "return-new")
    await page.get_by_role("button", name="Open return").click()
    await expect(page.get_by_text(re.compile(r"Return RMA-\d+ is open"))).to_be_visible()
    await expect(page.get_by_role("heading", name=re.compile("authorized"))).to_be_visible()

    await page.get_by_label("Restock line 1, MUG").fill("1")
    await page.get_by_label("Received at").select_option("RT1")
    await page.get_by_role("button", name="Receive").click()
    await expect(page.get_by_text(re.compile("1 units received"))).to_be_visible()
    await shot(page, "return")
    amount = page.get_by_label(re.compile(r"Amount \(USD\)"))
    await expect(amount).to_have_value(re.compile(r"^\d+\.\d\d$"))
    await page.get_by_role("button", name="Refund", exact=True).click()
    await expect(
        page.get_by_text(re.compile(r"Refunded [\d.]+ USD to the original payment"))
    ).to_be_visible()
    refunds = await client.get(f"/v1/orders/{order['id']}/refunds", headers=shop.org.headers)
    [refund] = refunds.json()
    assert refund["destination"] == "original_payment"

    await page.get_by_role("link", name=order["number"]).click()
    await expect(page.locator(".timeline").get_by_text("refund.issued")).to_be_visible()
    await page.goto(f"{server}/app/returns")
    await expect(page.get_by_role("heading", name="Returns")).to_be_visible()
    await shot(page, "returns")
    await page.context.close()


async def pages_to_see(page: Page, server: str, suffix: str) -> None:
    for path, heading, name in (
        ("/app/returns", "Returns", "returns"),
        ("/app/automation", "Automation", "automation"),
        ("/app/automation/fraud", "Automation", "automation-fraud"),
        ("/app/automation/late", "Automation", "automation-late"),
        ("/app/settings/routing", "Routing rules", "settings-routing"),
        ("/app/settings/webhooks", "Webhooks", "settings-webhooks"),
        ("/app/settings/notification-templates", "Notification templates", "settings-templates"),
    ):
        await page.goto(server + path)
        await expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        await shot(page, name + suffix)


async def test_automation_and_settings_pages_at_desktop_and_phone_width(
    browser: Browser, server: str, client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(db)
    await reorder_mugs(db, shop)
    await hold_big_orders(db, shop)
    response = await client.post(
        "/v1/orders",
        json={
            "channel": "web",
            "currency": "USD",
            "customer": {"email": "b@example.com", "name": "Bo"},
            "shipping_address": {
                "name": "Bo",
                "line1": "1 Oak",
                "city": "Boston",
                "postal_code": "02110",
                "country": "US",
            },
            "lines": [{"sku": "TEE", "quantity": 3, "unit_price": "19.99"}],
            "payment": {"status": "authorized", "amount": "59.97"},
        },
        headers=shop.org.headers,
    )
    assert response.status_code == 201, response.text
    page = await signed_in(browser, server, shop, "admin")
    await page.goto(f"{server}/app/automation")
    await page.get_by_role("button", name="Suggest purchase orders now").click()
    await expect(page.get_by_text("purchase orders drafted")).to_be_visible()
    await page.goto(f"{server}/app/settings/routing")
    await page.get_by_label(re.compile("Or a new order")).fill("MUG 2")
    await page.get_by_role("button", name="Simulate", exact=True).click()
    await expect(page.get_by_role("heading", name="Each location")).to_be_visible()
    await shot(page, "settings-routing-simulated")
    await page.goto(f"{server}/app/settings/notification-templates/shipped")
    await page.get_by_role("button", name="Preview").click()
    await expect(page.locator("iframe.mail-preview")).to_be_visible()
    await shot(page, "settings-template-preview")
    await pages_to_see(page, server, "")
    await page.context.close()

    phone = await signed_in(browser, server, shop, "admin", viewport=PHONE)
    await pages_to_see(phone, server, "-phone")
    await phone.keyboard.press("Tab")
    await phone.context.close()
