"""Demo data: a small US apparel and home-goods retailer, loaded through the HTTP API.

Going through the API (in-process, no network) keeps the demo honest: it can only do what a
client can do, and it keeps working whatever the services are called inside. A fixed random
seed makes every load identical. The data itself is in `orderly.demo_data`.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncConnection

from orderly.app import create_app
from orderly.demo_data import (
    BOXES,
    CHANNELS,
    DEMO_ORG_NAME,
    HIERARCHY,
    LOCATIONS,
    catalog,
    order_plan,
    stock_plan,
)
from orderly.kit.db import Database
from orderly.kit.errors import NotFound, OrderlyError
from orderly.onboarding import service as onboarding
from orderly.settings import Settings
from orderly.shipping import service as shipping
from orderly.tenancy import service as tenancy
from orderly.tenancy import users
from orderly.tenancy.domain import Role

DEMO_ORG = "demo"
RANDOM_SEED = 1001

Step = Callable[[str], None]


class DemoLoadFailed(OrderlyError):
    code = "demo_load_failed"
    status = 500


# The dashboard's demo sign-in (an admin); kept in the data directory like the key.
DEMO_USER_EMAIL = "admin@northwind.example"
DEMO_USER_PASSWORD = "orderly-demo"  # noqa: S105 (the documented demo password)


@dataclass(frozen=True)
class DemoOrg:
    slug: str
    api_key: str
    created: bool
    login: str = ""


def api_key_file(settings: Settings, slug: str) -> Path:
    return settings.resolved_data_dir() / f"{slug}-api-key"


def login_file(settings: Settings, slug: str) -> Path:
    return settings.resolved_data_dir() / f"{slug}-login"


async def _demo_login(conn: AsyncConnection, settings: Settings, slug: str, org_id: int) -> str:
    """Make sure the demo admin user exists; the login line is kept in the data directory."""
    if await users.find_user_id(conn, org_id, DEMO_USER_EMAIL) is None:
        await users.create_user(
            conn,
            org_id=org_id,
            email=DEMO_USER_EMAIL,
            password=DEMO_USER_PASSWORD,
            role=Role.ADMIN,
        )
    login = f"organization {slug}, e-mail {DEMO_USER_EMAIL}, password {DEMO_USER_PASSWORD}"
    _store_key(login_file(settings, slug), login)
    return login


async def seed_demo(
    settings: Settings,
    database: Database,
    *,
    slug: str = DEMO_ORG,
    on_step: Step | None = None,
) -> DemoOrg:
    """Load the demo organization unless it exists; either way return a working admin key.

    The key is kept in the data directory so that the next start can show it again.
    """
    step = on_step or (lambda _: None)
    key_file = api_key_file(settings, slug)
    async with database.transaction() as transaction:
        conn = transaction.connection
        try:
            org_id = await tenancy.organization_id(conn, slug)
        except NotFound:
            org_id = None
        if org_id is not None:
            key = await _stored_key(conn, key_file, org_id)
            if key is None:
                new = await tenancy.create_api_key(
                    conn, org_id=org_id, role=Role.ADMIN, name="demo"
                )
                key = new.key
                _store_key(key_file, key)
            login = await _demo_login(conn, settings, slug, org_id)
            return DemoOrg(slug=slug, api_key=key, created=False, login=login)
        step(f"creating organization {slug!r}")
        org_id = await onboarding.create_organization(conn, slug, DEMO_ORG_NAME)
        key = (await tenancy.create_api_key(conn, org_id=org_id, role=Role.ADMIN, name="demo")).key
        login = await _demo_login(conn, settings, slug, org_id)
    _store_key(key_file, key)
    await _load(settings, database, key, step, org_id=org_id)
    return DemoOrg(slug=slug, api_key=key, created=True, login=login)


async def _stored_key(conn: AsyncConnection, key_file: Path, org_id: int) -> str | None:
    key = _read_key(key_file)
    if key is None:
        return None
    principal = await tenancy.authenticate_api_key(conn, key)
    return key if principal is not None and principal.org_id == org_id else None


def _read_key(key_file: Path) -> str | None:
    return key_file.read_text().strip() if key_file.exists() else None


def _store_key(key_file: Path, key: str) -> None:
    key_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key + "\n")
    key_file.chmod(0o600)


async def _load(
    settings: Settings, database: Database, key: str, step: Step, *, org_id: int
) -> None:
    app = create_app(settings, database=database)
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://orderly.demo", headers=headers
    ) as client:
        api = _Api(client)
        rng = random.Random(RANDOM_SEED)
        step("brand, regions and location groups")
        for path, body in HIERARCHY:
            await api.post(path, body)
        step(f"{len(LOCATIONS)} locations")
        for location in LOCATIONS:
            await api.post("/v1/locations", location)
        step("carriers: two, each with a ground and an express service")
        async with database.transaction() as transaction:
            conn = transaction.connection
            await shipping.install_demo_carriers(conn, org_id)
        step("a box catalogue at every location")
        for location in LOCATIONS:
            await api.put(f"/v1/fulfillment/locations/{location['code']}/boxes", {"boxes": BOXES})
        step("channels: web and " + ", ".join(c["code"] for c in CHANNELS))
        for channel in CHANNELS:
            await api.post("/v1/channels", channel)
        skus = catalog()
        step(f"{len(skus)} SKUs")
        for sku in skus:
            await api.post("/v1/products", sku.product_body())
        step("stock at every location")
        stock = stock_plan(skus, rng)
        for code, adjustments in stock.items():
            await api.post("/v1/inventory/adjustments", {"adjustments": adjustments}, ref=code)
        plan = order_plan(skus, stock, rng)
        step(f"{len(plan)} orders")
        for order in plan:
            created = await api.post("/v1/orders", order.body)
            if order.then is not None:
                action, reason = order.then
                await api.post(f"/v1/orders/{created['id']}/{action}", {"reason": reason})


@dataclass(frozen=True)
class _Api:
    client: httpx.AsyncClient

    async def post(self, path: str, body: dict[str, Any], *, ref: str = "") -> dict[str, Any]:
        response = await self.client.post(path, json=body)
        if response.status_code >= 300:
            raise DemoLoadFailed(f"POST {path} {ref} -> {response.status_code}: {response.text}")
        result: dict[str, Any] = response.json()
        return result

    async def put(self, path: str, body: dict[str, Any]) -> None:
        response = await self.client.put(path, json=body)
        if response.status_code >= 300:
            raise DemoLoadFailed(f"PUT {path} -> {response.status_code}: {response.text}")


# --- Locations and channels -------------------------------------------------------------
