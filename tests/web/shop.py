"""A small shop for dashboard tests, set up through the public API: a warehouse and a store
(each with boxes), two SKUs with stock, the demo carriers, and dashboard users of each role."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any

import httpx

from orderly.kit.db import Database
from orderly.shipping import service as shipping
from orderly.tenancy import users
from orderly.tenancy.domain import Role
from tests.conftest import Org, make_org
from tests.fulfillment.helpers import BOXES, create_product
from tests.orders.factories import create_location, order_body, receive_stock

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Shop:
    org: Org
    location_ids: dict[str, int]
    emails: dict[str, str] = field(default_factory=dict)

    def email(self, who: str) -> str:
        return self.emails[who]


async def open_shop(client: httpx.AsyncClient, db: Database) -> Shop:
    org = await make_org(db)
    wh = await create_location(client, org.headers, "WH1", city="Newark", priority=10)
    store = await create_location(
        client,
        org.headers,
        "ST1",
        city="Chicago",
        kind="store",
        capabilities=("ship", "pickup"),
        priority=50,
    )
    for code in ("WH1", "ST1"):
        response = await client.put(
            f"/v1/fulfillment/locations/{code}/boxes", json={"boxes": BOXES}, headers=org.headers
        )
        assert response.status_code == 200, response.text
    for sku in ("MUG", "TEE"):
        await create_product(client, org.headers, sku)
        await receive_stock(client, org.headers, sku, "WH1", 50)
        await receive_stock(client, org.headers, sku, "ST1", 10)
    async with db.transaction() as transaction:
        conn = transaction.connection
        await shipping.install_demo_carriers(conn, org.id)
    shop = Shop(org=org, location_ids={"WH1": wh["id"], "ST1": store["id"]})
    async with db.transaction() as transaction:
        conn = transaction.connection
        for who, role, locations in (
            ("admin", Role.ADMIN, ()),
            ("viewer", Role.VIEWER, ()),
            ("support", Role.SUPPORT, ()),
            ("store", Role.FULFILLMENT, (store["id"],)),
            ("warehouse", Role.FULFILLMENT, (wh["id"],)),
        ):
            email = f"{who}-{secrets.token_hex(3)}@example.com"
            await users.create_user(
                conn,
                org_id=org.id,
                email=email,
                password=PASSWORD,
                role=role,
                location_ids=locations,
            )
            shop.emails[who] = email
    return shop


async def place(
    client: httpx.AsyncClient, shop: Shop, lines: list[tuple[str, int]], **extra: Any
) -> dict[str, Any]:
    response = await client.post(
        "/v1/orders", json=order_body(lines, **extra), headers=shop.org.headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def place_pickup(client: httpx.AsyncClient, shop: Shop) -> dict[str, Any]:
    return await place(client, shop, [("TEE", 1)], delivery_method="pickup", pickup_location="ST1")


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


async def sign_in(web: httpx.AsyncClient, shop: Shop, who: str) -> str:
    """Sign in as one of the shop's users; returns a CSRF token of the new session."""
    page = await web.get("/app/login")
    assert page.status_code == 200
    response = await web.post(
        "/app/login",
        data={
            "organization": shop.org.slug,
            "email": shop.email(who),
            "password": PASSWORD,
            "csrf_token": csrf_of(page.text),
            "next": "/app/",
        },
    )
    assert response.status_code == 303, response.text
    home = await web.get("/app/")
    assert home.status_code == 200, home.text
    return csrf_of(home.text)
