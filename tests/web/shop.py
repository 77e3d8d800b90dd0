"""A small shop for dashboard tests, built through the services: a warehouse and a store
(each with boxes), two SKUs with stock, the demo carriers, and dashboard users of each role."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any

import httpx

from orderly.kit.db import Database
from orderly.tenancy import users
from orderly.tenancy.domain import Role
from tests.factories import (
    BOXES,
    Org,
    create_location,
    create_product,
    install_demo_carriers,
    make_org,
    place_order,
    receive_many,
)

PASSWORD = "correct horse battery"
# Units of each SKU at each location.
STOCK = {"WH1": 50, "ST1": 10}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Shop:
    org: Org
    location_ids: dict[str, int]
    emails: dict[str, str] = field(default_factory=dict)

    def email(self, who: str) -> str:
        return self.emails[who]


async def open_shop(db: Database) -> Shop:
    org = await make_org(db)
    wh = await create_location(db, org, "WH1", city="Newark", priority=10, boxes=BOXES)
    store = await create_location(
        db,
        org,
        "ST1",
        city="Chicago",
        kind="store",
        capabilities=("ship", "pickup"),
        priority=50,
        boxes=BOXES,
    )
    for sku in ("MUG", "TEE"):
        await create_product(db, org, sku)
    await receive_many(
        db, org, {(sku, at): units for sku in ("MUG", "TEE") for at, units in STOCK.items()}
    )
    await install_demo_carriers(db, org)
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


async def place_pickup(db: Database, shop: Shop) -> dict[str, Any]:
    return await place_order(
        db, shop.org, [("TEE", 1)], delivery_method="pickup", pickup_location="ST1"
    )


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
