"""A listing's inventory as Etsy reads it, turned into the whole body Etsy's update takes (prices
as floats, no read-only ids, flags or scale names) with only some SKUs' quantities changed.
Etsy refuses an inventory with no offering above 0."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

Json = Mapping[str, Any]

# Etsy takes 0 to 999 units an offering.
MAX_OFFERING_QUANTITY = 999
ON_PROPERTY = (
    "price_on_property",
    "quantity_on_property",
    "sku_on_property",
    "readiness_state_on_property",
)


@dataclass(slots=True)
class InventoryUpdate:
    """The write body, the SKUs it changes, and the SKUs it cannot show, with the reason."""

    body: dict[str, Any]
    changed: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)


def price_of(money: Json) -> float:
    """Etsy's Money as the float its update takes; exact for any amount in cents."""
    divisor = int(money.get("divisor") or 1) or 1
    return float(Decimal(int(money["amount"])) / divisor)


def _property_value(value: Json) -> dict[str, Any]:
    written: dict[str, Any] = {
        "property_id": value["property_id"],
        "value_ids": list(value.get("value_ids") or []),
        "values": list(value.get("values") or []),
    }
    if "scale_id" in value:
        written["scale_id"] = value["scale_id"]
    if value.get("property_name") is not None:
        written["property_name"] = value["property_name"]
    return written


def _offering(offering: Json) -> dict[str, Any]:
    written: dict[str, Any] = {
        "price": price_of(offering["price"]),
        "quantity": int(offering.get("quantity") or 0),
        "is_enabled": bool(offering.get("is_enabled", True)),
    }
    if "readiness_state_id" in offering:
        written["readiness_state_id"] = offering["readiness_state_id"]
    return written


def _product(product: Json) -> dict[str, Any]:
    return {
        "sku": product.get("sku") or "",
        "property_values": [_property_value(v) for v in product.get("property_values") or ()],
        "offerings": [
            _offering(o) for o in product.get("offerings") or () if not o.get("is_deleted")
        ],
    }


def write_shape(inventory: Json) -> dict[str, Any]:
    """The inventory as Etsy's update takes it, unchanged; deleted products stay deleted."""
    body: dict[str, Any] = {
        "products": [
            _product(p) for p in inventory.get("products") or () if not p.get("is_deleted")
        ]
    }
    for key in ON_PROPERTY:
        if inventory.get(key) is not None:
            body[key] = list(inventory[key])
    return body


def set_quantities(listing_id: str, inventory: Json, wanted: Mapping[str, int]) -> InventoryUpdate:
    """The update that shows `wanted[sku]` units of each SKU (at most 999) and leaves every
    other product, offering and price as it was."""
    body = write_shape(inventory)
    update = InventoryUpdate(body=body)
    shared = not inventory.get("quantity_on_property")
    for sku, units in wanted.items():
        products = [p for p in body["products"] if p["sku"] == sku]
        if not products:
            update.refused[sku] = f"etsy listing {listing_id} has no product with this SKU"
            continue
        if len(products) > 1 and not shared:
            update.refused[sku] = (
                f"etsy listing {listing_id} has {len(products)} products with this SKU, each "
                "with its own quantity: give each its own SKU on Etsy"
            )
            continue
        quantity = max(0, min(units, MAX_OFFERING_QUANTITY))
        for product in products:
            for offering in product["offerings"]:
                if offering["quantity"] != quantity:
                    offering["quantity"] = quantity
                    if sku not in update.changed:
                        update.changed.append(sku)
    if update.changed and not any(
        o["quantity"] > 0 for p in body["products"] for o in p["offerings"]
    ):
        reason = (
            f"etsy keeps at least one unit on listing {listing_id} and cannot show it sold out: "
            "deactivate the listing on Etsy, or let it sell out there"
        )
        update.refused.update(dict.fromkeys(update.changed, reason))
        update.changed = []
    return update
