"""The demo retailer's data: its hierarchy, locations, channels, catalogue, stock and orders.

Plain tables and the small functions that expand them; `orderly.demo` loads them through the API.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

DEMO_ORG_NAME = "Northwind Outfitters"

STORE_CAPABILITIES = ["pickup", "ship_from_store", "returns"]

HIERARCHY: list[tuple[str, dict[str, str]]] = [
    ("/v1/brands", {"code": "NWO", "name": DEMO_ORG_NAME}),
    ("/v1/regions", {"code": "US-EAST", "name": "US East", "brand": "NWO"}),
    ("/v1/regions", {"code": "US-WEST", "name": "US West", "brand": "NWO"}),
    ("/v1/location-groups", {"code": "EAST-DC", "name": "East DCs", "region": "US-EAST"}),
    ("/v1/location-groups", {"code": "EAST-RETAIL", "name": "East stores", "region": "US-EAST"}),
    ("/v1/location-groups", {"code": "WEST-DC", "name": "West DCs", "region": "US-WEST"}),
    ("/v1/location-groups", {"code": "WEST-RETAIL", "name": "West stores", "region": "US-WEST"}),
]

# (code, name, kind, street, city, state, postal code, latitude, longitude, time zone)
# fmt: off
SITES: list[tuple[str, str, str, str, str, str, str, float, float, str]] = [
    ("WH-EAST", "East Distribution Center", "warehouse", "900 Doremus Ave", "Newark", "NJ",
     "07105", 40.7240, -74.1340, "America/New_York"),
    ("WH-WEST", "West Distribution Center", "warehouse", "2500 E Greg St", "Sparks", "NV",
     "89431", 39.5229, -119.7297, "America/Los_Angeles"),
    ("ST-NYC", "SoHo Store", "store", "120 Spring St", "New York", "NY",
     "10012", 40.7235, -73.9996, "America/New_York"),
    ("ST-CHI", "Michigan Avenue Store", "store", "600 N Michigan Ave", "Chicago", "IL",
     "60611", 41.8928, -87.6244, "America/Chicago"),
    ("ST-SF", "Union Square Store", "store", "170 O'Farrell St", "San Francisco", "CA",
     "94102", 37.7862, -122.4075, "America/Los_Angeles"),
]
# fmt: on


LOCATION_GROUPS = {
    "WH-EAST": "EAST-DC", "ST-NYC": "EAST-RETAIL", "ST-CHI": "EAST-RETAIL",
    "WH-WEST": "WEST-DC", "ST-SF": "WEST-RETAIL",
}  # fmt: skip


def _location(site: tuple[str, str, str, str, str, str, str, float, float, str]) -> dict[str, Any]:
    code, name, kind, line1, city, region, postal_code, latitude, longitude, timezone = site
    warehouse = kind == "warehouse"
    address = {"line1": line1, "city": city, "region": region, "postal_code": postal_code}
    return {
        "code": code,
        "name": name,
        "kind": kind,
        "address": {**address, "country": "US"},
        "latitude": latitude,
        "longitude": longitude,
        "capabilities": ["ship", "returns"] if warehouse else STORE_CAPABILITIES,
        "timezone": timezone,
        # Warehouses are preferred (lower is first); stores fulfil what they alone can.
        "priority": 10 if warehouse else 50,
        "daily_order_capacity": 5000 if warehouse else 150,
        "group": LOCATION_GROUPS[code],
    }


LOCATIONS: list[dict[str, Any]] = [_location(site) for site in SITES]

# Inside dimensions in mm, weight limit and tare in grams.
BOXES: list[dict[str, Any]] = [
    {"code": code, "length_mm": length, "width_mm": width, "height_mm": height,
     "max_weight_grams": limit, "tare_grams": tare}
    for code, length, width, height, limit, tare in (
        ("S", 250, 200, 100, 3000, 150),
        ("M", 400, 300, 200, 10000, 300),
        ("L", 600, 400, 400, 25000, 600),
    )
]  # fmt: skip

STORE_CODES = [loc["code"] for loc in LOCATIONS if loc["kind"] == "store"]

# The `web` channel exists in every organization; it never takes backorders.
CHANNELS: list[dict[str, Any]] = [
    {"code": "marketplace", "name": "Marketplace", "kind": "marketplace", "allow_backorders": True},
]


# --- Catalog ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoSku:
    code: str
    name: str
    weight_grams: int
    price: Decimal

    def product_body(self) -> dict[str, Any]:
        return {"sku": self.code, "name": self.name, "weight_grams": self.weight_grams}


# (code, name, grams, price, colours, sizes)
APPAREL: list[tuple[str, str, int, str, list[str], list[str]]] = [
    ("TEE", "Organic Cotton Tee", 200, "24.00", ["Black", "White"], ["S", "M", "L", "XL"]),
    ("HOOD", "Fleece Hoodie", 620, "68.00", ["Grey", "Navy"], ["S", "M", "L", "XL"]),
    ("OXF", "Oxford Shirt", 300, "58.00", ["Blue"], ["S", "M", "L", "XL"]),
    ("CHINO", "Slim Chino", 450, "72.00", ["Khaki"], ["30", "32", "34", "36"]),
    ("SWTR", "Merino Crew Sweater", 380, "98.00", ["Oat"], ["S", "M", "L"]),
    ("JKT", "Waxed Field Jacket", 1250, "189.00", ["Olive"], ["M", "L"]),
    ("SOCK", "Wool Hiking Socks", 90, "18.00", ["Charcoal"], ["M", "L"]),
    ("CAP", "Canvas Cap", 110, "28.00", ["Sand"], ["OS"]),
]

HOME: list[tuple[str, str, int, str]] = [
    ("MUG-STONE", "Stoneware Mug", 420, "16.00"),
    ("MUG-SET4", "Stoneware Mug, set of 4", 1800, "58.00"),
    ("TOWEL-BATH-WHT", "Cotton Bath Towel, White", 700, "32.00"),
    ("TOWEL-BATH-SGE", "Cotton Bath Towel, Sage", 700, "32.00"),
    ("TOWEL-HAND-WHT", "Cotton Hand Towel, White", 250, "16.00"),
    ("NAPKIN-LIN-4", "Linen Napkins, set of 4", 320, "36.00"),
    ("THROW-WOOL", "Wool Throw Blanket", 1400, "129.00"),
    ("PILLOW-LIN-18", "Linen Pillow Cover 18in", 260, "42.00"),
    ("CANDLE-CEDAR", "Cedar Candle", 520, "34.00"),
    ("CANDLE-FIG", "Fig Candle", 520, "34.00"),
    ("DIFFUSER-REED", "Reed Diffuser", 480, "38.00"),
    ("TRAY-OAK", "Oak Serving Tray", 1100, "64.00"),
    ("BOARD-OLIVE", "Olive Wood Board", 1300, "78.00"),
    ("BOWL-CERAMIC-L", "Ceramic Salad Bowl", 1600, "54.00"),
    ("PLANTER-TERRA", "Terracotta Planter", 2100, "29.00"),
    ("SHEET-PERCALE-Q", "Percale Sheet Set, Queen", 1900, "149.00"),
    ("SHEET-PERCALE-K", "Percale Sheet Set, King", 2200, "169.00"),
    ("DUVET-LINEN-Q", "Linen Duvet Cover, Queen", 1700, "219.00"),
]

COLOUR_CODES = {
    "Black": "BLK", "White": "WHT", "Grey": "GRY", "Navy": "NVY", "Blue": "BLU",
    "Khaki": "KHK", "Oat": "OAT", "Olive": "OLV", "Charcoal": "CHR", "Sand": "SND",
}  # fmt: skip

# Sold out but for two units: marketplace orders for it end up backordered.
SCARCE_SKU = "THROW-WOOL"


def catalog() -> list[DemoSku]:
    skus: list[DemoSku] = []
    for code, name, grams, price, colours, sizes in APPAREL:
        for colour in colours:
            for size in sizes:
                sku_code = f"{code}-{COLOUR_CODES[colour]}-{size}"
                label = f"{name}, {colour}" + ("" if size == "OS" else f", {size}")
                skus.append(DemoSku(sku_code, label, grams, Decimal(price)))
    skus.extend(DemoSku(code, name, grams, Decimal(price)) for code, name, grams, price in HOME)
    return skus


def stock_plan(skus: list[DemoSku], rng: random.Random) -> dict[str, list[dict[str, Any]]]:
    """Adjustments per location: warehouses hold everything, stores most things."""
    plan: dict[str, list[dict[str, Any]]] = {}
    for location in LOCATIONS:
        code = location["code"]
        warehouse = location["kind"] == "warehouse"
        rows: list[dict[str, Any]] = []
        for sku in skus:
            if sku.code == SCARCE_SKU:
                quantity = 2 if code == "WH-EAST" else 0
            elif warehouse:
                quantity = rng.randint(60, 240)
            else:
                quantity = rng.randint(4, 24) if rng.random() < 0.75 else 0
            if quantity:
                rows.append(
                    {"sku": sku.code, "location": code, "delta": quantity, "reason": "received"}
                )
        plan[code] = rows
    return plan


# --- Orders -----------------------------------------------------------------------------

# (name, email user, street, city, state, postal code, latitude, longitude)
# fmt: off
CUSTOMERS: list[tuple[str, str, str, str, str, str, float, float]] = [
    ("Ann Carter", "ann.carter", "5 Elm St", "Boston", "MA", "02110", 42.3601, -71.0589),
    ("Luis Ortega", "luis.ortega", "88 Pine St", "Seattle", "WA", "98101", 47.6101, -122.3421),
    ("Maya Patel", "maya.patel", "410 Congress Ave", "Austin", "TX", "78701", 30.2672, -97.7431),
    ("James Kim", "james.kim", "22 Larimer St", "Denver", "CO", "80202", 39.7539, -104.9983),
    ("Grace Liu", "grace.liu", "731 Market St", "San Francisco", "CA", "94103", 37.7868,
     -122.4036),
    ("Omar Haddad", "omar.haddad", "15 W Adams St", "Chicago", "IL", "60603", 41.8794, -87.6302),
    ("Sofia Rossi", "sofia.rossi", "300 Peachtree St", "Atlanta", "GA", "30308", 33.7621,
     -84.3857),
    ("Ethan Brooks", "ethan.brooks", "9 Bedford Ave", "Brooklyn", "NY", "11211", 40.7196,
     -73.9598),
    ("Chloe Martin", "chloe.martin", "1200 Pike St", "Portland", "OR", "97205", 45.5202,
     -122.6784),
    ("Noah Adams", "noah.adams", "45 S 7th St", "Minneapolis", "MN", "55402", 44.9765, -93.2711),
    ("Ava Nguyen", "ava.nguyen", "600 Brickell Ave", "Miami", "FL", "33131", 25.7673, -80.1918),
    ("Leo Fischer", "leo.fischer", "1500 Walnut St", "Philadelphia", "PA", "19102", 39.9496,
     -75.1660),
]
# fmt: on


@dataclass(frozen=True)
class DemoOrder:
    body: dict[str, Any]
    # A follow-up call after capture: ("cancel" | "hold", reason).
    then: tuple[str, str] | None = None


def order_plan(
    skus: list[DemoSku], stock: dict[str, list[dict[str, Any]]], rng: random.Random
) -> list[DemoOrder]:
    everyday = [sku for sku in skus if sku.code != SCARCE_SKU]
    scarce = next(sku for sku in skus if sku.code == SCARCE_SKU)
    by_code = {sku.code: sku for sku in skus}

    def pickup(store: str) -> dict[str, Any]:
        # Collected in store: only what that store has on its shelves.
        shelf = [by_code[row["sku"]] for row in stock[store] if row["delta"] >= 2]
        lines = [(sku, 1) for sku in rng.sample(shelf, 2)]
        body = _order_body(rng, channel="web", lines=lines, payment="captured")
        return {**body, "delivery_method": "pickup", "pickup_location": store}

    def order(channel: str = "web", payment: str = "authorized", **extra: Any) -> dict[str, Any]:
        lines = [(sku, rng.randint(1, 2)) for sku in rng.sample(everyday, rng.randint(1, 3))]
        return _order_body(rng, channel=channel, lines=lines, payment=payment, **extra)

    plan: list[DemoOrder] = []
    plan += [DemoOrder(order(payment=rng.choice(["authorized", "captured"]))) for _ in range(16)]
    plan += [DemoOrder(pickup(store)) for store in STORE_CODES]
    plan += [DemoOrder(order(payment="pending")) for _ in range(5)]
    plan += [
        DemoOrder(order(), then=("hold", "customer asked to change the delivery address"))
        for _ in range(2)
    ]
    plan += [
        DemoOrder(order(), then=("cancel", reason))
        for reason in ("customer changed their mind", "duplicate order", "fraud suspected")
    ]
    plan += [
        DemoOrder(order(channel="marketplace", external_id=f"MP-{700100 + n}")) for n in range(4)
    ]
    plan += [
        DemoOrder(
            _order_body(
                rng,
                channel="marketplace",
                lines=[(scarce, 3)],
                payment="captured",
                external_id=f"MP-{700200 + n}",
            )
        )
        for n in range(3)
    ]
    return plan


def _order_body(
    rng: random.Random,
    *,
    channel: str,
    lines: list[tuple[DemoSku, int]],
    payment: str,
    **extra: Any,
) -> dict[str, Any]:
    name, user, line1, city, region, postal_code, lat, lon = rng.choice(CUSTOMERS)
    total = sum((sku.price * quantity for sku, quantity in lines), Decimal("0"))
    body: dict[str, Any] = {
        "channel": channel,
        "currency": "USD",
        "customer": {"email": f"{user}@example.com", "name": name},
        "shipping_address": {
            "name": name,
            "line1": line1,
            "city": city,
            "region": region,
            "postal_code": postal_code,
            "country": "US",
            "latitude": lat,
            "longitude": lon,
        },
        "lines": [
            {"sku": sku.code, "quantity": quantity, "unit_price": str(sku.price)}
            for sku, quantity in lines
        ],
        "payment": {"status": payment, "amount": str(total), "method": "card"},
    }
    body.update(extra)
    return body
