"""The worlds tests start from, built through the services on a transaction of the test database.

Organizations, API keys, SKUs, locations, stock, boxes, channels, carriers and orders: what a
test needs in place before it does what it tests. Nothing here goes through HTTP; a test of an
endpoint calls that endpoint itself. Every order is placed by `place_order`, the one caller of
order capture here. Factories return what the API would answer (JSON-shaped dicts), so a test
reads a world it built the same way as one it received.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from orderly.automation import fraud, restock
from orderly.automation.schemas import FraudRulesIn, ReplenishmentRulesIn, SkuSuppliersIn
from orderly.catalog import service as catalog
from orderly.catalog.schemas import ProductIn
from orderly.channels import service as channels
from orderly.channels.schemas import ChannelIn, ChannelPatch
from orderly.fulfillment import dispatch, packing, picking
from orderly.fulfillment import service as fulfillment
from orderly.fulfillment.schemas import BoxIn, PickListIn
from orderly.inventory import service as inventory
from orderly.inventory.domain import Adjustment, AdjustmentReason
from orderly.kit.db import Database
from orderly.locations import service as locations
from orderly.locations.schemas import LocationIn
from orderly.onboarding import service as onboarding
from orderly.order_flows.capture import capture_order
from orderly.orders import service as orders
from orderly.orders.schemas import OrderIn
from orderly.shipping import service as shipping
from orderly.sourcing import service as sourcing
from orderly.sourcing.config import RoutingConfig
from orderly.tenancy import service as tenancy
from orderly.tenancy.domain import Principal, Role

CITIES = {
    "Newark": ("07102", 40.73, -74.17),
    "Chicago": ("60601", 41.88, -87.63),
    "Dallas": ("75201", 32.78, -96.80),
    "Boston": ("02110", 42.36, -71.06),
}
BOXES: list[dict[str, Any]] = [
    {
        "code": "S",
        "length_mm": 200,
        "width_mm": 150,
        "height_mm": 100,
        "max_weight_grams": 2000,
        "tare_grams": 100,
    },
    {
        "code": "M",
        "length_mm": 300,
        "width_mm": 250,
        "height_mm": 200,
        "max_weight_grams": 5000,
        "tare_grams": 200,
    },
]
# A boxed product's size: fits box S, several of them box M.
PRODUCT_DIMS = (100, 80, 60)


@dataclass
class Org:
    """An organization of a test's own and an API key of it."""

    id: int
    slug: str
    key: str
    role: Role = Role.ADMIN

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    @property
    def principal(self) -> Principal:
        """The key's principal, as the API would resolve it (same role, same actor)."""
        return Principal(org_id=self.id, role=self.role, actor=f"api_key:{self.key[:12]}")


async def make_org(db: Database, role: Role = Role.ADMIN, *, prefix: str = "t-") -> Org:
    slug = prefix + secrets.token_hex(5)
    async with db.transaction() as transaction:
        conn = transaction.connection
        org_id = await onboarding.create_organization(conn, slug)
        key = await tenancy.create_api_key(conn, org_id=org_id, role=role)
    return Org(id=org_id, slug=slug, key=key.key, role=role)


async def key_for(db: Database, org: Org, role: Role) -> dict[str, str]:
    """Headers with a new API key of another role in the organization."""
    async with db.transaction() as transaction:
        conn = transaction.connection
        key = await tenancy.create_api_key(conn, org_id=org.id, role=role)
    return {"Authorization": f"Bearer {key.key}"}


# Catalog, network and stock ------------------------------------------------------------------


async def create_location(
    db: Database,
    org: Org,
    code: str,
    *,
    city: str = "Newark",
    kind: str = "warehouse",
    capabilities: tuple[str, ...] = ("ship",),
    priority: int = 100,
    boxes: Sequence[dict[str, Any]] = (),
    active: bool = True,
    **extra: Any,
) -> dict[str, Any]:
    """A location in one of `CITIES`, with its coordinates; `boxes` sets its box catalogue, and
    an inactive location is deactivated once created."""
    postal, lat, lon = CITIES[city]
    data = LocationIn.model_validate(
        {
            "code": code,
            "name": f"{city} {kind}",
            "kind": kind,
            "address": {"line1": "1 Main St", "city": city, "postal_code": postal, "country": "US"},
            "latitude": lat,
            "longitude": lon,
            "capabilities": list(capabilities),
            "priority": priority,
            **extra,
        }
    )
    async with db.transaction() as transaction:
        conn = transaction.connection
        location = await locations.create_location(conn, org.id, data)
        if not active:
            location = await locations.set_location_active(conn, org.id, location.id, active=False)
        if boxes:
            await packing.set_boxes(
                conn, org.principal, code, [BoxIn.model_validate(b) for b in boxes]
            )
    return location.model_dump(mode="json")


async def set_boxes(
    db: Database, org: Org, location: str, boxes: Sequence[dict[str, Any]] = BOXES
) -> None:
    async with db.transaction() as transaction:
        conn = transaction.connection
        await packing.set_boxes(
            conn, org.principal, location, [BoxIn.model_validate(b) for b in boxes]
        )


async def create_sku(
    db: Database,
    org: Org,
    sku: str,
    *,
    name: str | None = None,
    weight_grams: int = 200,
    dims: tuple[int, int, int] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A SKU (and its product), named after its code unless `name` is given."""
    body: dict[str, Any] = {
        "sku": sku,
        "name": name or sku.title(),
        "weight_grams": weight_grams,
        **extra,
    }
    if dims:
        body.update(length_mm=dims[0], width_mm=dims[1], height_mm=dims[2])
    async with db.transaction() as transaction:
        conn = transaction.connection
        product = await catalog.create_product(conn, org.id, ProductIn.model_validate(body))
    return product.model_dump(mode="json")


async def create_product(db: Database, org: Org, sku: str, **extra: Any) -> dict[str, Any]:
    """A boxed SKU, as the fulfillment tests pack it: 300 g, `PRODUCT_DIMS`, "<Sku> deluxe"."""
    defaults: dict[str, Any] = {
        "name": f"{sku.title()} deluxe",
        "weight_grams": 300,
        "dims": PRODUCT_DIMS,
    }
    return await create_sku(db, org, sku, **{**defaults, **extra})


async def receive_stock(db: Database, org: Org, sku: str, location: str, quantity: int) -> None:
    """A receipt of `quantity` units (ledger `received`)."""
    await receive_many(db, org, {(sku, location): quantity})


async def receive_many(db: Database, org: Org, stock: dict[tuple[str, str], int]) -> None:
    """Receipts of {(sku, location): units}, all in one transaction."""
    adjustments = [
        Adjustment(sku=sku, location=location, reason=AdjustmentReason.RECEIVED, delta=units)
        for (sku, location), units in stock.items()
    ]
    async with db.transaction() as transaction:
        conn = transaction.connection
        await inventory.adjust_stock(conn, org.id, org.principal.actor, adjustments)


async def create_channel(
    db: Database, org: Org, code: str, *, kind: str = "web", name: str | None = None, **extra: Any
) -> dict[str, Any]:
    data = ChannelIn.model_validate(
        {"code": code, "name": name or code.title(), "kind": kind, **extra}
    )
    async with db.transaction() as transaction:
        conn = transaction.connection
        channel = await channels.create_channel(conn, org.id, data)
    return channel.model_dump(mode="json")


async def set_channel_settings(db: Database, org: Org, code: str, settings: dict[str, Any]) -> None:
    """Set keys of a channel's free-form settings (e.g. `return_policy`), keeping the others."""
    async with db.transaction() as transaction:
        conn = transaction.connection
        channel = await channels.channel_policy(conn, org.id, code)
        merged = {**await channels.channel_settings(conn, org.id, channel.id), **settings}
        patch = ChannelPatch.model_validate({"settings": merged})
        await channels.update_channel(conn, org.id, channel.id, patch)


async def set_routing_config(
    db: Database, org: Org, config: dict[str, Any], *, channel: str | None = None
) -> None:
    """A routing configuration (the organization's default, or a channel's own)."""
    async with db.transaction() as transaction:
        conn = transaction.connection
        await sourcing.put_routing_config(
            conn, org.id, RoutingConfig.model_validate(config), channel
        )


async def install_demo_carriers(db: Database, org: Org) -> None:
    async with db.transaction() as transaction:
        conn = transaction.connection
        await shipping.install_demo_carriers(conn, org.id)


# Orders ----------------------------------------------------------------------------------------


# The address every factory order ships to, near the usual test warehouses.
SHIPPING_ADDRESS = {
    "name": "Ann",
    "line1": "5 Elm St",
    "city": "Boston",
    "postal_code": "02110",
    "country": "US",
    "latitude": 42.36,
    "longitude": -71.06,
}


def order_body(lines: list[tuple[str, int]], /, **overrides: Any) -> dict[str, Any]:
    """The contract's order, with the given (sku, quantity) lines at 19.99 each; `overrides`
    replace top-level fields (`lines` too)."""
    total = sum(q for _, q in lines) * 1999
    body: dict[str, Any] = {
        "channel": "web",
        "currency": "USD",
        "customer": {"email": "a@example.com", "name": "Ann"},
        "shipping_address": dict(SHIPPING_ADDRESS),
        "lines": [{"sku": s, "quantity": q, "unit_price": "19.99"} for s, q in lines],
        "payment": {"status": "authorized", "amount": f"{total // 100}.{total % 100:02d}"},
    }
    if "payments" in overrides:  # split tenders instead of the one payment
        del body["payment"]
    body.update(overrides)
    return body


async def place_order(
    db: Database, org: Org, lines: list[tuple[str, int]], /, **overrides: Any
) -> dict[str, Any]:
    """Capture `order_body(lines, **overrides)` as the API would, and return the order as the
    API answers it. The one place where the factories capture an order."""
    payload = OrderIn.model_validate(order_body(lines, **overrides))
    async with db.transaction() as transaction:
        captured = await capture_order(transaction, org.principal, payload)
    assert captured.created, "the channel's order was captured before"
    return captured.order.model_dump(mode="json")


async def fulfillment_orders_of(db: Database, org: Org, order_id: int) -> list[dict[str, Any]]:
    async with db.transaction() as transaction:
        conn = transaction.connection
        page = await fulfillment.list_fulfillment_orders(
            conn, org.id, location_id=None, status=None, order_id=order_id, limit=50, cursor=None
        )
    return sorted((fo.model_dump(mode="json") for fo in page.items), key=lambda fo: fo["id"])


async def ship_order(db: Database, org: Org, order_id: int) -> None:
    """Drive every fulfillment order of the order through the warehouse: accept, pick (in
    full, a pick list of its own), pack in the location's boxes, and ship."""
    principal = org.principal
    for fo in await fulfillment_orders_of(db, org, order_id):
        async with db.transaction() as transaction:
            conn = transaction.connection
            await fulfillment.accept(conn, principal, fo["id"])
            wave = PickListIn(location=fo["location"], fulfillment_order_ids=[fo["id"]])
            pick_list = await picking.create_pick_list(conn, principal, wave)
            await picking.confirm_pick_list(conn, principal, pick_list.id, [])
            await packing.pack(conn, principal, fo["id"], None)
        await dispatch.ship(db, principal, fo["id"], parcel_ids=None, service_code=None)


async def shipped_order(
    db: Database, org: Org, lines: list[tuple[str, int]], /, **overrides: Any
) -> dict[str, Any]:
    """An order placed and shipped in full; returns it as the API shows it then."""
    placed = await place_order(db, org, lines, **overrides)
    await ship_order(db, org, placed["id"])
    shipped = await order_view(db, org, placed["id"])
    assert shipped["status"] == "shipped", shipped
    return shipped


async def order_view(db: Database, org: Org, order_id: int) -> dict[str, Any]:
    async with db.transaction() as transaction:
        conn = transaction.connection
        order = await orders.get_order(conn, org.id, order_id)
    return order.model_dump(mode="json")


# Automation ------------------------------------------------------------------------------------


async def set_replenishment(
    db: Database,
    org: Org,
    *,
    rules: Sequence[dict[str, Any]] = (),
    suppliers: Sequence[dict[str, Any]] = (),
) -> None:
    """Reorder rules per (sku, location) and each SKU's supplier, in the API's JSON shape."""
    async with db.transaction() as transaction:
        conn = transaction.connection
        if suppliers:
            data = SkuSuppliersIn.model_validate({"suppliers": list(suppliers)})
            await restock.set_suppliers(conn, org.id, data.suppliers)
        if rules:
            ruled = ReplenishmentRulesIn.model_validate({"rules": list(rules)})
            await restock.set_rules(conn, org.id, ruled.rules)


async def set_fraud_rules(db: Database, org: Org, rules: dict[str, Any]) -> None:
    """The fraud rules, as `PUT /v1/fraud/rules` takes them."""
    async with db.transaction() as transaction:
        conn = transaction.connection
        await fraud.put_rules(conn, org.id, FraudRulesIn.model_validate(rules))
